"`chapter7.questionnaire` (06_questionnaire): answers unreadable in the notebook, revealed one at a time, and their checks"
import ast, html, inspect, json, math, re
from pathlib import Path
import pytest, torch
from fastcore import test as fct   # as a module: pytest would collect its test_* functions
import chapter7.questionnaire as questionnaire
from chapter7.questionnaire import (QUESTIONS, QUESTION_TEXTS, ANSWER_CHECKS, Question, encode_answer, decode_answer,
                                    questionnaire_widget, normalized_batch_stats, tta_image_count, mixup_logit_gaps,
                                    five_class_target)

NB = Path(__file__).resolve().parents[1]/'nbs'/'06_questionnaire.ipynb'

def words(text:str) -> list: return re.findall(r'\S+', text)

def windows(text:str, n:int=6) -> set:
    "Every run of `n` consecutive words of `text`, spaces normalized"
    w = words(text)
    return {' '.join(w[i:i + n]) for i in range(max(1, len(w) - n + 1))}

def notebook_text() -> str:
    "Every cell's source of the notebook, markdown and code, with spaces normalized"
    cells = json.loads(NB.read_text())['cells']
    return ' '.join(' '.join(words(''.join(c['source']))) for c in cells)

def test_fourteen_questions_in_order():
    fct.test_eq([q.number for q in QUESTIONS], list(range(1, 15)))
    fct.test_eq([q.text for q in QUESTIONS], QUESTION_TEXTS)
    assert 'five categories' in QUESTIONS[12].text and 'Imagenette' in QUESTIONS[0].text
    assert all(len(q.answer) > 50 for q in QUESTIONS)

@pytest.mark.parametrize('q', QUESTIONS, ids=lambda q: f'q{q.number}')
def test_answer_not_readable_in_notebook(q):
    "No six words in a row of any answer appear in the notebook's source (nor in the module exported from it)"
    nb, module = notebook_text(), ' '.join(words(inspect.getsource(questionnaire)))
    for w in windows(q.answer):
        assert w not in nb and w not in module, w
    assert q.encoded in stored_answers()

def stored_answers() -> list:
    "The `_ANSWERS` list as the notebook's hidden cell writes it (base64 strings)"
    cells = [''.join(c['source']) for c in json.loads(NB.read_text())['cells'] if c['cell_type'] == 'code']
    src = next(c for c in cells if '_ANSWERS = [' in c)
    assert src.startswith('#| hide\n#| export')   # hidden from the docs, exported to the module
    node = next(n for n in ast.parse(src).body if isinstance(n, ast.Assign) and n.targets[0].id == '_ANSWERS')
    return ast.literal_eval(node.value)

def test_encoding_round_trip():
    text = 'λ × image1 + (1-λ) × image2, and <b>no</b> HTML'
    fct.test_eq(decode_answer(encode_answer(text)), text)
    assert text not in encode_answer(text) and 'image' not in encode_answer(text)

def widget_parts(w):
    "title, button, answer and checked-output widgets of each question of a questionnaire widget"
    return [q.children for q in w.children]

def shown(w) -> list:
    "The numbers of the questions whose answer text is in the widget"
    return [i + 1 for i, (_, _, answer, _) in enumerate(widget_parts(w)) if answer.value]

def test_nothing_revealed_before_a_click():
    w = questionnaire_widget()
    fct.test_eq(len(w.children), 14)
    fct.test_eq(shown(w), [])
    values = ' '.join(c.value for parts in widget_parts(w) for c in parts if hasattr(c, 'value') and isinstance(c.value, str))
    for q in QUESTIONS:
        assert html.escape(q.text) in values                               # every question is there
        assert not any(x in values for x in windows(q.answer)), q.number   # and no answer
    assert all(out.outputs == () for *_, out in widget_parts(w))

def test_answers_revealed_one_at_a_time():
    w = questionnaire_widget()
    parts = widget_parts(w)
    parts[2][1].value = True                    # question 3's button
    fct.test_eq(shown(w), [3])
    assert 'vision_learner' in parts[2][2].value and parts[2][1].description == 'Hide answer'
    parts[10][1].value = True                   # question 11's
    fct.test_eq(shown(w), [3, 11])
    parts[2][1].value = False                   # hidden again
    fct.test_eq(shown(w), [11])
    fct.test_eq(parts[2][1].description, 'Show answer')

def test_answer_is_escaped():
    title, button, answer, checked = Question(1, 'What is 1+1?', encode_answer('Two: <not html>')).widget().children
    fct.test_eq(answer.value, '')
    button.value = True
    assert 'Two: &lt;not html&gt;' in answer.value and '<not html>' not in answer.value

def test_revealing_runs_the_check():
    w = questionnaire_widget()
    _, button, answer, checked = widget_parts(w)[12]   # question 13
    fct.test_eq(checked.outputs, ())
    button.value = True
    assert '0.9200' in checked.outputs[0]['data']['text/plain']
    button.value = False
    fct.test_eq(checked.outputs, ())
    _, button, _, checked = widget_parts(w)[0]        # question 1 has no check
    button.value = True
    fct.test_eq(checked.outputs, ())

def test_checks_agree_with_answers():
    fct.test_eq(sorted(ANSWER_CHECKS), [2, 7, 9, 13])
    stats = normalized_batch_stats()
    fct.test_close(torch.tensor(stats.mean_after.values), torch.zeros(3), eps=1e-3)
    fct.test_close(torch.tensor(stats.std_after.values), torch.ones(3), eps=1e-3)
    assert 'mean of 0 and a standard deviation of 1' in QUESTIONS[1].answer
    assert tta_image_count() == 'get_preds: 12 images; tta: 60 images, 5 times as many'   # 2 classes x 6 validation images
    assert 'five times' in QUESTIONS[6].answer
    gaps = mixup_logit_gaps()
    fct.test_close(gaps['Mixup target'].iloc[-1], math.log(0.7 / 0.3), eps=1e-2)   # settled, a finite distance apart
    assert gaps['one-hot target'].is_monotonic_increasing and gaps['one-hot target'].iloc[-1] > gaps['one-hot target'].iloc[-2] + 0.5
    assert 'fractions such as 0.7 and 0.3' in QUESTIONS[8].answer
    fct.test_close(five_class_target(), torch.tensor([0.02, 0.92, 0.02, 0.02, 0.02]))
    assert '[0.02, 0.92, 0.02, 0.02, 0.02]' in QUESTIONS[12].answer
