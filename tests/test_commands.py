"Every shell command the README and the notebooks show can be copied as it stands: a known program, options it takes"
import json, re, shlex
from pathlib import Path
import pytest
from chapter7 import bench, train, experiments

ROOT = Path(__file__).resolve().parents[1]
# The project's commands, by both of their names, and the module whose `main` defines their options
PROGRAMS = {'chapter7-train': train, 'python -m chapter7.train': train,
            'chapter7-experiments': experiments, 'python -m chapter7.experiments': experiments,
            'chapter7-bench': bench, 'python -m chapter7.bench': bench}
OTHERS = ('make', 'pip install', 'export')   # set-up commands the README shows

def shown_commands():
    "(where, words) for each command in a ```sh block of the README or of a notebook's markdown"
    texts = {'README.md': (ROOT/'README.md').read_text()}
    for nb in sorted((ROOT/'nbs').rglob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        texts[nb.name] = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
    for where, text in texts.items():
        for block in re.findall(r'```(?:sh|bash)\n(.*?)```', text, re.S):
            for line in re.sub(r'(?<!\\)\\\n', ' ', block).splitlines():   # a single backslash continues the line
                words = shlex.split(line, comments=True)
                while words and re.fullmatch(r'[A-Z_][A-Z0-9_]*=\S*', words[0]): words = words[1:]   # VAR=value first
                if words: yield where, words

COMMANDS = list(shown_commands())

def test_commands_found():
    "The README alone shows the set-up and the three commands"
    shown = {' '.join(w[:3]) for where, w in COMMANDS if where == 'README.md'}
    assert {'make lab', 'make test', 'python -m chapter7.bench'} <= shown
    assert sum(w[0] == 'chapter7-train' for _, w in COMMANDS) >= 8 and any(w[0] == 'chapter7-experiments' for _, w in COMMANDS)

def check(module, opts:dict):
    "What each command checks before it reads any data"
    if module is train: train.TrainSettings(**{k: v for k, v in opts.items() if k not in ('runs', 'out')})
    elif module is experiments: experiments.select_experiments(opts['only'])
    else: bench.check_configs(opts['configs']); bench.get_arch(opts['arch']); bench.get_opt(opts['opt'])

@pytest.mark.parametrize('where,words', COMMANDS, ids=[f'{where}:{" ".join(w)[:60]}' for where, w in COMMANDS])
def test_shown_command(where, words):
    line = ' '.join(words)
    program = next((p for p in PROGRAMS if words[:len(p.split())] == p.split()), None)
    if program is None:
        assert line.startswith(OTHERS), f"{where} shows a command that is none of the project's: {line!r}"
        return
    module = PROGRAMS[program]
    try: opts = vars(bench.parser_for(module.main).parse_args(words[len(program.split()):]))
    except SystemExit: pytest.fail(f"{where}: the command's options do not parse: {line!r}")
    check(module, opts)

def test_a_broken_command_is_caught():
    "A doubled backslash at the end of a line (an escaped backslash in a shell, not a continuation) fails"
    with pytest.raises(SystemExit):
        bench.parser_for(train.main).parse_args(shlex.split('--sched flat_cos \\\\\n'))
    with pytest.raises(ValueError, match='Unknown arch'):
        check(train, vars(bench.parser_for(train.main).parse_args(['--arch', 'resnet9000'])))
