"""The measurements in `results/`: every file well formed and explained, and the chapter's claims as predicates on them.

The lessons draw their "What we measured" tables from these files by code, so no figure is typed twice; what is
tested here is what the files say. A claim is a sentence and a function of the files that is true when the
measurements bear it out. If a new run overturns one, the test fails, and the lesson's sentence about it must change.
"""
import json
from pathlib import Path
import pandas as pd
import pytest
from chapter7.results import device_of

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT/'results'
FILES = sorted(p for p in RESULTS.rglob('*') if p.suffix in ('.csv', '.json'))
LOGS = ('gpu_cells', 'lessons')   # logs of test runs rather than measurements of a model: named by device alone

def csv(name:str) -> pd.DataFrame: return pd.read_csv(RESULTS/name)
def js(name:str) -> dict: return json.loads((RESULTS/name).read_text())

# ---- every file -------------------------------------------------------------------------------------------------

def test_there_are_results():
    assert len(FILES) >= 25 and {p.parent.name for p in FILES} >= {'bench', 'mixup', 'label_smoothing', 'normalization',
                                                                   'progressive', 'transfer', 'tta'}

@pytest.mark.parametrize('fn', FILES, ids=lambda p: str(p.relative_to(RESULTS)))
def test_file_is_well_formed(fn):
    "Readable; named after its device; accuracies are fractions and times are positive"
    rel = str(fn.relative_to(RESULTS))
    if fn.parent.name in LOGS: assert fn.stem.split('-run-all')[0] in ('cpu',) or fn.stem.startswith('nvidia-'), rel
    else: device_of(rel)   # raises unless the name starts with a device tag
    if fn.suffix == '.json':
        d = json.loads(fn.read_text())
        rows = d.get('runs') or d.get('results') or [v for v in d.values() if isinstance(v, dict)] or [d]   # or one run
        df = pd.DataFrame(rows)
    else: df = pd.read_csv(fn)
    assert len(df), rel
    for col in [c for c in df.columns if c == 'accuracy' or c.endswith('_accuracy')]:
        assert df[col].dropna().between(0, 1).all(), (rel, col)
    if 'seconds' in df: assert (df.seconds.dropna() >= 0).all(), rel

@pytest.mark.parametrize('fn', FILES, ids=lambda p: str(p.relative_to(RESULTS)))
def test_file_has_its_notes(fn):
    "Each file is named in its folder's README.md, which says where it came from"
    notes = fn.parent/'README.md'
    assert notes.exists(), f"{fn.parent.relative_to(ROOT)} has no README.md saying where its files came from"
    assert fn.name in notes.read_text(), f"{notes.relative_to(ROOT)} says nothing of {fn.name}"

# ---- the chapter's claims -----------------------------------------------------------------------------------------

def gaps(df:pd.DataFrame, by:list, col:str, treated:str, control:str, value:str='accuracy') -> pd.Series:
    "`value` (accuracy) of `treated` minus that of `control` (values of `col`), for each group of the `by` columns"
    wide = df.pivot_table(index=by, columns=col, values=value)
    return wide[treated] - wide[control]

def normalization_pretrained():
    "A trained model shown inputs scaled otherwise than in training loses most of its accuracy"
    df = csv('normalization/cpu-xresnet18-64px.csv').set_index('run').accuracy
    return df['normalized, shown unnormalized images'] < df['normalized'] - 0.3

def normalization_from_scratch():
    "Trained from scratch for 5 epochs, with or without `Normalize`, accuracy ends within 2 points"
    return all(abs(gaps(csv(f'normalization/{f}').assign(k=0), ['k'], 'run', 'normalized', 'not normalized')).max() < 0.02
               for f in ('cpu-xresnet18-64px.csv', 'nvidia-h200-xresnet50-128px.csv'))

PROGRESSIVE_LOGS = ('cpu-xresnet18-32-64px.csv', 'nvidia-h200-xresnet50-64-128px.csv')

def last_epochs(f:str) -> pd.DataFrame:
    "The last epoch of each run of progressive-resizing log `f`, with its `kind`: 'progressive' or 'fixed'"
    last = csv(f'progressive/{f}').groupby('run').tail(1)
    return last.assign(kind=last.run.str.split().str[0])

def progressive_saves_time():
    "Progressive resizing takes less time than the same epochs at the final size"
    return all(gaps(last_epochs(f).assign(k=0), ['k'], 'kind', 'progressive', 'fixed', 'seconds').max() < 0
               for f in PROGRESSIVE_LOGS)

def progressive_costs_accuracy_at_equal_epochs():
    "For the same number of epochs, starting on small images ends a little less accurate than the fixed size"
    return all(gaps(last_epochs(f).assign(k=0), ['k'], 'kind', 'progressive', 'fixed').max() < 0 for f in PROGRESSIVE_LOGS)

def baseline_repeats_across_gpus_and_seeds():
    "The chapter's baseline (xresnet50, 128 px, 5 epochs, stock pipeline) ends within 1.5 points on every GPU and seed"
    runs = [r for r in js('bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json')['runs'] if r['config'] == 'stock']
    runs += [r for r in js('bench/nvidia-h200-xresnet50-128px-5ep.json')['results'] if r['config'] == 'stock']
    acc = [r['accuracy'] for r in runs]
    return len(acc) >= 4 and max(acc) - min(acc) < 0.015

def tta_helps():
    "Averaging predictions over augmented copies beats one prediction, for a few times the inference time"
    df = csv('tta/cpu-xresnet18-64px.csv').set_index('prediction')
    return (df.accuracy['tta (n=4)'] > df.accuracy['plain'] and df.accuracy['five-crop tta'] > df.accuracy['plain']
            and df.time_ratio['tta (n=4)'] > 1)

def mixup_behind_at_5_epochs():
    "At 5 epochs Mixup ends behind plain training, on every seed and device measured"
    cpu = pd.concat([csv('mixup/cpu-xresnet18-64px.csv').assign(seed=42), csv('mixup/cpu-xresnet18-64px-5ep-seeds.csv')])
    cpu_gaps = gaps(cpu[cpu.epochs == 5], ['seed'], 'run', 'MixUp(0.4)', 'plain')
    gpu = csv('mixup/nvidia-h100-80gb-hbm3-xresnet50-128px.csv').set_index('run').accuracy
    return len(cpu_gaps) >= 3 and (cpu_gaps < 0).all() and gpu['MixUp(0.4)'] < gpu['plain']

def mixup_catches_up():
    "With longer training Mixup's gap to plain training shrinks: its mean gap at 20 or more epochs beats that at 5"
    cpu = pd.concat([csv('mixup/cpu-xresnet18-64px.csv').assign(seed=42), csv('mixup/cpu-xresnet18-64px-5ep-seeds.csv'),
                     csv('mixup/cpu-xresnet18-64px-longer.csv')])
    g = gaps(cpu, ['seed', 'epochs'], 'run', 'MixUp(0.4)', 'plain').reset_index(name='gap')
    return g[g.epochs >= 20].gap.mean() > g[g.epochs == 5].gap.mean() + 0.01

def smoothing_no_gain_at_5_epochs():
    "At 5 epochs label smoothing gains nothing on average over seeds, at any share of wrong labels"
    df = pd.concat([csv('label_smoothing/cpu-xresnet18-64px-noise.csv'), csv('label_smoothing/cpu-xresnet18-64px-noise-seeds.csv')])
    g = gaps(df, ['noise', 'seed'], 'loss', 'label smoothing ε=0.1', 'cross-entropy').groupby('noise').mean()
    return set(g.index) == {5, 25, 50} and (g < 0.005).all()

def smoothing_helps_half_wrong_labels_longer():
    "With half the labels wrong and 20 epochs, label smoothing does at least as well on every seed"
    g = gaps(csv('label_smoothing/cpu-xresnet18-64px-noise50-20ep.csv'), ['seed'], 'loss', 'label smoothing ε=0.1', 'cross-entropy')
    return len(g) >= 3 and (g >= 0).all() and g.mean() > 0

def transfer_pays_when_data_is_scarce():
    "Pretrained on other classes, `fine_tune` beats training from scratch with 100 images per class, not with all of them"
    ok = []
    for f in ('cpu-xresnet18-64px-recipes.csv', 'nvidia-h200-xresnet50-128px-recipes.csv'):
        g = gaps(csv(f'transfer/{f}'), ['data', 'seed'], 'recipe', 'fine_tune', 'from scratch').reset_index(name='gap')
        ok.append((g[g.data == '100 per class'].gap > 0).all() and (g[g.data == 'all images'].gap < 0).all())
    return all(ok)

def progressive_can_hurt_pretrained():
    "Fine-tuning a pretrained model with progressive resizing ends below a fixed size, on every seed"
    ok = []
    for f in ('cpu-xresnet18-64px-progressive.csv', 'nvidia-h100-80gb-hbm3-xresnet50-128px-progressive.csv'):
        df = csv(f'transfer/{f}')
        df['kind'] = df.schedule.str.split().str[0]
        ok.append((gaps(df, ['seed'], 'kind', 'progressive', 'fixed') < 0).all())
    return all(ok)

def fast_path_same_accuracy_sooner():
    "On a GPU the cached on-device data path reaches the stock pipeline's accuracy (within a point) in less time"
    res = {r['config']: r for r in js('bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json')['results']}
    return abs(res['fast']['accuracy'] - res['stock']['accuracy']) < 0.01 and res['fast']['seconds'] < res['stock']['seconds']

CLAIMS = [normalization_pretrained, normalization_from_scratch, progressive_saves_time, progressive_costs_accuracy_at_equal_epochs,
          baseline_repeats_across_gpus_and_seeds, tta_helps, mixup_behind_at_5_epochs,
          mixup_catches_up, smoothing_no_gain_at_5_epochs, smoothing_helps_half_wrong_labels_longer,
          transfer_pays_when_data_is_scarce, progressive_can_hurt_pretrained, fast_path_same_accuracy_sooner]

@pytest.mark.parametrize('claim', CLAIMS, ids=lambda f: f.__name__)
def test_claim(claim):
    assert claim(), claim.__doc__

def test_a_claim_can_fail(monkeypatch):
    "The predicates read the files: flip a Mixup result and its claim fails"
    real = csv('mixup/cpu-xresnet18-64px-5ep-seeds.csv')
    flipped = real.assign(accuracy=real.accuracy.where(real.run != 'MixUp(0.4)', 0.99))
    monkeypatch.setitem(globals(), 'csv', lambda name: flipped if name.endswith('5ep-seeds.csv') else pd.read_csv(RESULTS/name))
    assert not mixup_behind_at_5_epochs()
