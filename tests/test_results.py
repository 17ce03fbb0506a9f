"Measured results committed in `results/` and the prose that quotes them: every quoted figure must match its file"
import json, itertools, inspect
import pytest
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

MOVED = {'09_bench.ipynb': 'machinery/06_bench.ipynb', '10_train.ipynb': 'machinery/05_train.ipynb',
         '11_experiments.ipynb': 'machinery/07_experiments.ipynb'}

def markdown(nb:str) -> str:
    cells = json.loads((ROOT/'nbs'/MOVED.get(nb, nb)).read_text())['cells']
    return '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')

def section(text:str, start:str) -> str:
    "`text` from the first occurrence of `start` on, for a table or a sentence that also appears earlier in another setting"
    return text[text.index(start):]

def table_cells(text:str, first:str) -> list:
    "Rows of the markdown table in `text` whose header starts with `first`, each a list of its cells"
    lines = text[text.index(f'| {first} |'):].splitlines()
    body = itertools.takewhile(lambda l: l.startswith('|'), lines[2:])   # this table only, not the next one
    return [[c.strip() for c in l.strip('|').split('|')] for l in body]

def table_rows(text:str, first:str) -> dict:
    "The same table as `table_cells`, as first column -> the other cells"
    return {r[0]: r[1:] for r in table_cells(text, first)}

def gpu_rows(readme:str) -> dict:
    "The README's GPU table: claim -> (measured, GPU, notebook)"
    return table_rows(section(readme, '## Measured on a GPU so far'), 'the chapter says')

# One loader per results file
def bench_report() -> dict: return json.loads((ROOT/'results/bench/cpu-xresnet18-64px-3ep.json').read_text())
def progressive_logs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/progressive/cpu-xresnet18-32-64px.csv')
# 07's transfer results, by file prefix: the section of 07 that quotes them, and its sentence on the pretrained body
TRANSFER = {'cpu-xresnet18-64px': ('## On the real data, on a CPU', 'reaches {:.3f} accuracy on them'),
            'nvidia-h200-xresnet50-128px': ('## On the real data, on a GPU', 'reached {:.3f} accuracy on its five classes')}
def transfer_runs(prefix:str='cpu-xresnet18-64px') -> pd.DataFrame: return pd.read_csv(ROOT/f'results/transfer/{prefix}-recipes.csv')
def transfer_progressive() -> pd.DataFrame: return pd.read_csv(ROOT/'results/transfer/cpu-xresnet18-64px-progressive.csv')
def noise_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/label_smoothing/cpu-xresnet18-64px-noise.csv')
def noise_seed_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/label_smoothing/cpu-xresnet18-64px-noise-seeds.csv')
def noise50_long_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/label_smoothing/cpu-xresnet18-64px-noise50-20ep.csv')
def mixup_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/mixup/cpu-xresnet18-64px.csv')
def mixup_longer_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/mixup/cpu-xresnet18-64px-longer.csv')
def mixup_seed_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/mixup/cpu-xresnet18-64px-5ep-seeds.csv')
def normalization_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/normalization/cpu-xresnet18-64px.csv', index_col='run')
def tta_table() -> pd.DataFrame: return pd.read_csv(ROOT/'results/tta/cpu-xresnet18-64px.csv', index_col='prediction')
def h100_bench() -> dict: return json.loads((ROOT/'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json').read_text())
def h100_bench_tuned() -> dict: return json.loads((ROOT/'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean-fast-tuned.json').read_text())
def h100_bench_seed0() -> pd.DataFrame: return pd.read_csv(ROOT/'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-seed0.csv')
def h100_parts() -> dict: return json.loads((ROOT/'results/bench/nvidia-h100-80gb-hbm3-time-parts-loops.json').read_text())
def h200_bench() -> dict: return json.loads((ROOT/'results/bench/nvidia-h200-xresnet50-128px-5ep.json').read_text())
def h200_parts() -> dict: return json.loads((ROOT/'results/bench/nvidia-h200-time-parts.json').read_text())
def h200_bs128() -> dict: return json.loads((ROOT/'results/bench/nvidia-h200-xresnet50-128px-5ep-fast-tuned-bs128.json').read_text())
def h200_mixup_twenty() -> pd.DataFrame: return pd.read_csv(ROOT/'results/mixup/nvidia-h200-xresnet50-128px-20ep-bf16.csv', index_col='run')
def h200_normalization() -> pd.DataFrame: return pd.read_csv(ROOT/'results/normalization/nvidia-h200-xresnet50-128px.csv', index_col='run')
def h200_progressive_logs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/progressive/nvidia-h200-xresnet50-64-128px.csv')

TRAIN_IMAGES = 9469   # imagenette2-160's training set; training drops the last partial batch

def epoch_seconds(run:dict, ms_per_batch:str) -> float:
    "Seconds an epoch of `run`'s full batches takes at its `ms_per_batch` figure (a `time_parts` record)"
    return TRAIN_IMAGES // run['bs'] * run[ms_per_batch] / 1000

# The gaps the notebooks and the README both quote, computed once
def progressive_cost(logs:pd.DataFrame|None=None, prog:str='progressive 32 -> 64 px', fixed:str='fixed 64 px') -> tuple:
    "(share of time saved, points lost) by the progressive run of 02 against the fixed one; default the CPU runs"
    logs = {run: log for run, log in (progressive_logs() if logs is None else logs).groupby('run')}
    prog, fixed = logs[prog], logs[fixed]
    return 1 - prog.seconds.iloc[-1] / fixed.seconds.iloc[-1], 100 * (fixed.accuracy.iloc[-1] - prog.accuracy.iloc[-1])

def transfer_gaps(data:str, prefix:str='cpu-xresnet18-64px') -> pd.DataFrame:
    "Points by which each transfer recipe beat training from scratch, per seed, on `data`"
    runs = transfer_runs(prefix)
    acc = runs[runs.data == data].pivot(index='recipe', columns='seed', values='accuracy')
    return 100 * (acc.loc[['fine_tune', 'freeze/unfreeze']] - acc.loc['from scratch'])

def tta_gains() -> pd.Series: t = tta_table(); return 100 * (t.accuracy - t.accuracy['plain'])
def mixup_accuracy() -> pd.DataFrame: return mixup_runs().pivot(index='epochs', columns='run', values='accuracy')
def mixup_lead(acc) -> pd.Series: return 100 * (acc['MixUp(0.4)'] - acc['plain'])   # points
def mixup_gaps() -> pd.Series: return mixup_lead(mixup_accuracy())
def mixup_longer_accuracy() -> pd.DataFrame: return mixup_longer_runs().pivot(index=['seed', 'epochs'], columns='run', values='accuracy')
def mixup_by_seed(epochs:int, others:pd.DataFrame) -> pd.DataFrame:
    "Accuracy after `epochs` by seed: seed 42 from the first file, seeds 1 and 2 from `others`"
    runs = pd.concat([mixup_runs().assign(seed=42), others]).query('epochs == @epochs')
    return runs.pivot(index='seed', columns='run', values='accuracy').loc[[42, 1, 2]]
def mixup_seed_accuracy() -> pd.DataFrame: return mixup_by_seed(5, mixup_seed_runs())
def mixup_twenty_accuracy() -> pd.DataFrame: return mixup_by_seed(20, mixup_longer_runs())
def noise_accuracy(runs:pd.DataFrame|None=None) -> pd.DataFrame:
    "Accuracy by noise level and loss, of `runs` (default: the CPU runs)"
    return (noise_runs() if runs is None else runs).pivot(index='noise', columns='loss', values='accuracy')
def smoothing_lead(acc) -> pd.Series: return 100 * (acc['label smoothing ε=0.1'] - acc['cross-entropy'])   # points
def smoothing_gains() -> pd.Series: return smoothing_lead(noise_accuracy())
def noise_seed_accuracy() -> pd.DataFrame:
    "5-epoch accuracy by noise level and seed: seed 42 from the first file, seeds 1 and 2 from their own"
    runs = pd.concat([noise_runs().assign(seed=42), noise_seed_runs()])
    return runs.pivot(index=['noise', 'seed'], columns='loss', values='accuracy')
def noise50_long_accuracy() -> pd.DataFrame: return noise50_long_runs().pivot(index='seed', columns='loss', values='accuracy')

def bench_seed_spread() -> float:
    "Points between the two seeds of the CPU benchmark's `fast` config (the std of two values is their gap over sqrt 2)"
    fast = next(r for r in bench_report()['results'] if r['config'] == 'fast')
    assert fast['runs'] == 2
    return 100 * fast['accuracy_std'] * 2 ** 0.5

def test_progressive_cpu_table():
    logs = progressive_logs()
    rows = table_rows(markdown('02_progressive_resizing.ipynb'), 'run')
    assert set(rows) == set(logs.run)
    for run, log in logs.groupby('run'):
        accuracy, seconds, epochs = rows[run]
        assert accuracy == f'{log.accuracy.iloc[-1]:.4f}' and seconds == f'{log.seconds.iloc[-1]:.0f}' and int(epochs) == len(log)

def test_progressive_cpu_prose():
    logs = {run: log.reset_index(drop=True) for run, log in progressive_logs().groupby('run')}
    prog, fixed = logs['progressive 32 -> 64 px'], logs['fixed 64 px']
    text = ' '.join(markdown('02_progressive_resizing.ipynb').split())
    saved, lost = progressive_cost()
    assert saved > 0 and lost > 0 and f'saved {saved:.0%} of the time and lost {lost:.1f} points' in text
    small = prog[prog['size'] == 32]
    assert f'An epoch at 32 pixels still took {small.seconds.iloc[-1] / len(small):.0f} seconds against {fixed.seconds.iloc[-1] / len(fixed):.0f} at 64' in text
    switch = len(small)
    assert f'lowered accuracy from {prog.accuracy[switch - 1]:.3f} to {prog.accuracy[switch]:.3f}' in text

def h200_progressive_cost() -> tuple: return progressive_cost(h200_progressive_logs(), 'progressive 64 -> 128 px', 'fixed 128 px')
def h200_progressive_over_baseline() -> float:
    "Points by which 02's progressive GPU run (10 epochs) beat 01's 5-epoch normalized GPU run: the chapter's comparison"
    final = h200_progressive_logs().groupby('run').accuracy.last()['progressive 64 -> 128 px']
    return 100 * (final - h200_normalization().accuracy['normalized'])
def h200_by_config() -> dict: return {r['config']: r for r in h200_bench()['results']}

def test_bench_cpu_table():
    report = bench_report()
    text = section(markdown('09_bench.ipynb'), 'One run on a 2-core CPU')
    rows = table_rows(text, 'config')
    for r in report['results']:
        seconds, images, accuracy = rows[r['config']]
        assert seconds == f"{r['seconds']:.0f}" and images == f"{r['train_images_per_sec']:.0f}"
        assert accuracy == f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}"
    assert f"Cache build for all 13,394 images: {report['cache_build_seconds']:.1f} s" in text
    by_config = {r['config']: r for r in report['results']}
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert (f"trained at {by_config['fast']['train_images_per_sec']:.0f} images/s against the stock pipeline's "
            f"{by_config['stock']['train_images_per_sec']:.0f}") in readme

def test_bench_seed_spread_quoted():
    for nb in ('10_train.ipynb', '11_experiments.ipynb'):
        assert f'two seeds of one recipe ended {bench_seed_spread():.1f} points apart' in ' '.join(markdown(nb).split()), nb

def five_epoch_seed_spreads() -> pd.Series:
    "Points between the best and worst of three seeds, for each 5-epoch CPU recipe run with three (04, 05 and 09)"
    spread = lambda acc: 100 * (acc.max(axis=1) - acc.min(axis=1))
    mixup = mixup_seed_accuracy().T
    noise = noise_seed_accuracy().unstack('noise').T
    sizes = batch_size_accuracy().dropna().drop(index=64, level='bs')   # batch size 64 is 04's plain runs again
    return pd.concat([spread(mixup), spread(noise), spread(sizes)])

def test_seed_yardstick():
    "09 and the README say what the 1.8-point yardstick is worth, against the spread of every recipe run with three seeds"
    spreads = five_epoch_seed_spreads()
    assert len(spreads) == 2 + 6 + 2
    lo, hi = spreads.min(), spreads.max()
    assert spreads.idxmin() == 'plain' and spreads.idxmax() == ('label smoothing ε=0.1', 50)
    assert lo < bench_seed_spread() < hi
    text = ' '.join(markdown('09_bench.ipynb').split())
    assert (f"three seeds of each 5-epoch CPU recipe in these notebooks ended {lo:.1f} to {hi:.1f} points apart, depending on the "
            "recipe (plain training the least, `04_mixup`; label smoothing with half the labels wrong the most, `05_label_smoothing`)") in text
    assert f'The two seeds ended {bench_seed_spread():.1f} points apart' in text
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert f'three seeds of each 5-epoch recipe here ended {lo:.1f} to {hi:.1f} points apart, depending on the recipe' in readme

def test_scale_quoted():
    "00 quotes the 5-epoch baseline at the GPU scale from 01's file"
    text = ' '.join(markdown('00_data.ipynb').split())
    assert f"the same 5 epochs of `xresnet50` on a GPU ended at {h200_normalization().accuracy['normalized']:.4f} here" in text

def batch_size_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/bench/cpu-xresnet18-64px-5ep-batch-size.csv')
def batch_size_accuracy() -> pd.DataFrame:
    "Accuracy by (batch size, learning rate) and seed: 09's runs, and 04's plain 5-epoch runs at batch size 64 (the same recipe)"
    at64 = mixup_seed_accuracy()['plain'].rename('accuracy').rename_axis('seed').reset_index().assign(bs=64, lr=3e-3)
    return pd.concat([at64, batch_size_runs()]).pivot_table(index=['bs', 'lr'], columns='seed', values='accuracy')

def test_batch_size_cpu():
    "09's learning rates at batch sizes 128 and 256 on a CPU: the table, the gaps to batch size 64, and the README's sentence"
    runs, acc = batch_size_runs(), batch_size_accuracy()
    assert (runs.epochs == 5).all() and set(runs.bs) == {128, 256}
    text = section(markdown('09_bench.ipynb'), '### Batch size and learning rate, on a CPU')
    rows = table_cells(text, 'batch size')   # batch sizes repeat: one row per (batch size, learning rate)
    assert len(rows) == len(acc) == 7
    for ((bs, lr), a), row in zip(acc.iterrows(), rows):
        assert row == [str(bs), f'{lr:.2g}'] + ['' if pd.isna(a[seed]) else f'{a[seed]:.4f}' for seed in (42, 1, 2)], (bs, lr)
    gap = 100 * (acc - acc.loc[64].iloc[0])   # points from batch size 64, seed by seed
    flat, spread = ' '.join(text.split()), bench_seed_spread()
    steps = {bs: 5 * (TRAIN_IMAGES // bs) for bs in (64, 128, 256)}
    assert f'at 256 images an epoch of the {TRAIN_IMAGES:,} training images is {TRAIN_IMAGES // 256} optimizer steps instead of {TRAIN_IMAGES // 64}' in flat
    assert f'5 epochs are {steps[256]} steps instead of {steps[64]}' in flat and f'{steps[128]} steps' in flat
    h200 = h200_by_config()
    assert f"On the H200 it then ended {100 * (h200['stock']['accuracy'] - h200['fast-tuned']['accuracy']):.1f} points below `stock`" in flat
    assert h200['fast-tuned']['lr'] == 0.006 and "(the benchmark's default: 0.006 at 256)" in flat
    at256 = acc.loc[256]
    best = at256[42].idxmax()
    assert best == 0.012 and at256.loc[best].notna().all()
    lost_best = -gap.loc[(256, best)]
    assert (f'None of the four learning rates made up for batch size 256. The best, {best:.2g} (in proportion to the batch size), ended {lost_best[42]:.1f} points below batch size 64 '
            f'with seed 42, {lost_best[1]:.1f} with seed 1 and {lost_best[2]:.1f} with seed 2, {lost_best.mean():.1f} on average') in flat
    below_best = 100 * (at256.loc[best] - at256.loc[0.006]).dropna()
    assert list(below_best.index) == [1, 42]
    assert f"the benchmark's default, 0.006, ended {below_best[42]:.1f} and {below_best[1]:.1f} points below that with seeds 42 and 1" in flat
    assert at256.loc[0.024, 42] < at256.loc[0.006, 42]   # "0.024 was worse again": below the default too, not only the best
    doubled = gap.loc[(128, 0.006)]
    assert doubled.notna().all()
    assert f'{doubled[42]:+.1f} points with seed 42, {doubled[1]:+.1f} with seed 1 and {doubled[2]:+.1f} with seed 2, {doubled.mean():+.1f} on average' in flat
    root2 = gap.loc[128].drop(0.006)
    assert len(root2) == 1 and f'{root2.iloc[0][42]:+.1f} with seed 42' in flat
    assert at256.max().max() < acc.drop(256).min().min()   # "every run at 256 ended below every run at 64 and 128"
    assert 'every run at batch size 256 ended below every run at 64 and 128' in flat
    assert (acc.count(axis=1) == 1).sum() == 3 and 'Three rows have one seed' in flat
    lr_spread = 100 * (acc.groupby(level='bs').max() - acc.groupby(level='bs').min())   # learning rates at one batch size, seed for seed
    assert (lr_spread.fillna(0) < spread).all().all(), lr_spread
    assert f'at each batch size the learning rates ended closer together, seed for seed, than two seeds of one recipe did in the CPU benchmark above ({spread:.1f} points)' in flat
    assert f'{runs.seconds.min() / 60:.0f} to {runs.seconds.max() / 60:.0f} minutes a run on two cores' in flat
    lost = -gap.loc[256]
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert (f'none of four learning rates from 0.003 to 0.024 made up for batch size 256 in 5 epochs: each run ended '
            f'{lost.min().min():.1f} to {lost.max().max():.1f} points below batch size 64, while batch size 128 with the learning '
            f'rate doubled ended {doubled[42]:+.1f}, {doubled[1]:+.1f} and {doubled[2]:+.1f} points from it on three seeds') in readme

@pytest.mark.parametrize('prefix', TRANSFER)
def test_transfer_recipe_tables(prefix):
    folder = ROOT/'results/transfer'
    start, sentence = TRANSFER[prefix]
    text = section(markdown('07_transfer_learning.ipynb'), start)
    pretraining = json.loads((folder/f'{prefix}-pretraining.json').read_text())['accuracy']
    assert sentence.format(pretraining) in ' '.join(text.split())
    runs = transfer_runs(prefix)
    rows = table_rows(text, 'recipe')
    for recipe, r in runs.groupby('recipe', sort=False):
        full = r[r.data == 'all images'].sort_values('seed').accuracy
        few = r[r.data == '100 per class'].sort_values('seed').accuracy
        expected = [f'{a:.4f}' for a in (*full, full.mean())] + [f'{a:.3f}' for a in (*few, few.mean())]
        assert rows[f'`{recipe}`' if recipe == 'fine_tune' else recipe] == expected, recipe

@pytest.mark.parametrize('prefix', TRANSFER)
def test_transfer_recipe_prose(prefix):
    text = ' '.join(section(markdown('07_transfer_learning.ipynb'), TRANSFER[prefix][0]).split())
    for data, winner, phrase in [('all images', 'from scratch', 'training from scratch beat both transfer recipes on both seeds, by {lo:.1f} to {hi:.1f} points'),
                                 ('100 per class', 'transfer', 'both transfer recipes beat it on every seed, by {lo:.1f} to {hi:.1f} points ({mean:.1f} on average)')]:
        gaps = transfer_gaps(data, prefix)
        if winner == 'from scratch': gaps = -gaps
        assert (gaps > 0).all().all(), (data, gaps)   # the winner the prose names won every comparison
        assert phrase.format(lo=gaps.min().min(), hi=gaps.max().max(), mean=gaps.mean().mean()) in text, data

def test_transfer_h200_seconds():
    full = transfer_runs('nvidia-h200-xresnet50-128px').query("data == 'all images'").seconds
    text = ' '.join(section(markdown('07_transfer_learning.ipynb'), TRANSFER['nvidia-h200-xresnet50-128px'][0]).split())
    assert f'a run on all the images took {full.min():.0f} to {full.max():.0f} s' in text

def test_transfer_cpu_progressive():
    text = markdown('07_transfer_learning.ipynb')
    prog = transfer_progressive()
    rows = table_rows(text, 'schedule')
    for schedule, r in prog.groupby('schedule', sort=False):
        r = r.sort_values('seed')
        assert rows[schedule] == [f'{a:.4f}' for a in (*r.accuracy, r.accuracy.mean())] + [f'{r.seconds.mean():.0f}'], schedule
    text = ' '.join(text.split())
    prog = prog.pivot(index='schedule', columns='seed')
    cost = 100 * (prog.accuracy.loc['fixed 64'] - prog.accuracy.loc['progressive 32->64'])
    saved = 1 - prog.seconds.loc['progressive 32->64'].mean() / prog.seconds.loc['fixed 64'].mean()
    assert (cost > 0).all() and saved > 0
    assert f'on both seeds, {cost[0]:.1f} and {cost[1]:.1f} points, for {saved:.0%} less time' in text
    spread = 100 * prog.accuracy.loc['progressive 32->64'].agg(lambda a: a.max() - a.min())
    assert cost[0] < spread and f'the gap is smaller than the {spread:.1f} points between the progressive run' in text

def test_noise_cpu_table():
    acc = noise_accuracy()
    rows = table_rows(markdown('05_label_smoothing.ipynb'), 'noise')
    assert set(rows) == {f'{n}%' for n in acc.index}
    for n, r in acc.iterrows():
        diff = 100 * (r['label smoothing ε=0.1'] - r['cross-entropy'])
        assert rows[f'{n}%'] == [f"{r['cross-entropy']:.4f}", f"{r['label smoothing ε=0.1']:.4f}", f'{diff:+.1f}'], n

def test_noise_cpu_prose():
    runs, text = noise_runs(), ' '.join(markdown('05_label_smoothing.ipynb').split())
    assert f'each run took {runs.seconds.min():.0f} to {runs.seconds.max():.0f} s' in text
    acc, gain = noise_accuracy(), smoothing_gains()
    cost = 100 * (acc.loc[5, 'cross-entropy'] - acc.loc[50, 'cross-entropy'])
    assert f"took {cost:.1f} points off cross-entropy's accuracy" in text
    # the prose says smoothing won only at 25% noise, by under a point, and lost at the other two levels
    assert list(gain.index[gain > 0]) == [25] and f'It was ahead only at 25%, by {gain[25]:.1f} points' in text
    spread = bench_seed_spread()
    assert (gain.abs() < spread).all() and f'every difference is smaller than the {spread:.1f} points between two seeds' in text

def test_noise_seeds_table_and_prose():
    "05's 5-epoch noise runs with seeds 1 and 2, beside seed 42's: smoothing's lead per seed and on average, and the seeds' own spread"
    runs, acc = noise_seed_runs(), noise_seed_accuracy()
    lead = smoothing_lead(acc).unstack('seed')[[42, 1, 2]]   # noise level x seed, in points
    text = section(markdown('05_label_smoothing.ipynb'), '## Three seeds at 5 epochs')
    rows = table_rows(text, 'noise')
    assert list(rows) == ['5%', '25%', '50%'] and set(runs.seed) == {1, 2} and len(runs) == 12
    mean = lead.mean(axis=1)
    for n, l in lead.iterrows():
        assert rows[f'{n}%'] == [f'{v:+.1f}' for v in l] + [f'{mean[n]:+.1f}'], n
    text, flat = ' '.join(text.split()), lead.values.ravel()
    ahead, level, behind = (flat > 0).sum(), (flat == 0).sum(), (flat < 0).sum()
    assert f'Smoothing was ahead in {ahead} of the {flat.size} pairs of runs, level in {level} and behind in the other {behind}' in text
    assert (mean < 0).all() and 'on average it was behind at every noise level' in text
    assert mean.idxmin() == 50 and 'Nor did its lead grow with the share of wrong labels: it was furthest behind at 50%' in text
    ce = 100 * acc['cross-entropy'].groupby('noise').agg(lambda a: a.max() - a.min())
    assert f"A change of seed moved cross-entropy's own accuracy by {ce.min():.1f} to {ce.max():.1f} points at each noise level" in text
    assert ce.min() > mean.abs().max()   # "more than any of these means"
    assert f'each run took {runs.seconds.min():.0f} to {runs.seconds.max():.0f} s on two cores' in text

def test_noise50_longer_table_and_prose():
    "05's 20-epoch runs at 50% noise: seed 42's beside its 5-epoch ones, seeds 1 and 2, each seed's lead at 5 and 20 epochs, and the direction the prose reads"
    runs, acc = noise50_long_runs(), noise50_long_accuracy().loc[[42, 1, 2]]
    long, short = acc.loc[42], noise_accuracy().loc[50]   # seed 42, as the 5-epoch table
    md = section(markdown('05_label_smoothing.ipynb'), '## Longer training')
    text, rows = ' '.join(md.split()), table_rows(md, 'epochs')
    for epochs, a in ((5, short), (20, long)):
        assert rows[str(epochs)] == [f"{a['cross-entropy']:.4f}", f"{a['label smoothing ε=0.1']:.4f}", f'{smoothing_lead(a):+.1f}'], epochs
    gain = 100 * (long - short)
    assert f"cross-entropy by {gain['cross-entropy']:.1f} points and label smoothing by {gain['label smoothing ε=0.1']:.1f}" in text
    before, after = smoothing_lead(short), smoothing_lead(long)
    assert before < 0 < after and f'smoothing went from {-before:.1f} points behind to {after:.1f} ahead' in text
    one, two = acc.loc[1], acc.loc[2]
    assert 0 < smoothing_lead(one) < 0.5 and f"seed 1 the two ended almost level, {one['cross-entropy']:.4f} with cross-entropy and {one['label smoothing ε=0.1']:.4f} with smoothing" in text
    assert smoothing_lead(two) > 0.5 and f"with seed 2 smoothing was ahead again, {two['label smoothing ε=0.1']:.4f} against {two['cross-entropy']:.4f}" in text
    five, twenty = smoothing_lead(noise_seed_accuracy()).xs(50, level='noise').loc[acc.index], smoothing_lead(acc)
    rows = table_rows(md, 'seed')
    assert list(rows) == ['42', '1', '2']
    for seed in acc.index: assert rows[str(seed)] == [f'{five[seed]:+.1f}', f'{twenty[seed]:+.1f}'], seed
    grew = twenty - five
    assert (grew > 0).all() and f"With every seed, smoothing's lead grew between 5 and 20 epochs, by {grew.min():.1f} to {grew.max():.1f} points" in text
    assert five.mean() < 0 < twenty.mean() and f'it went from {-five.mean():.1f} points behind to {twenty.mean():.1f} ahead' in text
    spread = bench_seed_spread()
    assert (twenty > 0).all() and twenty.max() < spread and f'each 20-epoch lead is well inside the {spread:.1f} points between two seeds' in text
    assert f'each run took {runs.seconds.min() / 60:.0f} to {runs.seconds.max() / 60:.0f} minutes on two cores' in text

def test_mixup_cpu_table():
    acc = mixup_accuracy()
    rows = table_rows(markdown('04_mixup.ipynb'), 'epochs')
    assert set(rows) == {str(e) for e in acc.index}
    for e, r in acc.iterrows():
        assert rows[str(e)] == [f"{r['plain']:.4f}", f"{r['MixUp(0.4)']:.4f}", f'{mixup_lead(r):+.1f}'], e

def test_mixup_cpu_prose():
    runs, text = mixup_runs(), ' '.join(markdown('04_mixup.ipynb').split())
    acc, gap = mixup_accuracy(), mixup_gaps()
    assert gap[5] < 0 and f'At 5 epochs Mixup cost {-gap[5]:.1f} points' in text
    gained = 100 * (acc.loc[20] - acc.loc[5])
    assert f"plain training gained {gained['plain']:.1f} points and Mixup {gained['MixUp(0.4)']:.1f}, ending {gap[20]:.1f} points ahead" in text
    spread = bench_seed_spread()
    assert 0 < gap[20] < spread and abs(gap[5]) < spread + 0.5
    assert f'two seeds of one recipe ended {spread:.1f} points apart in the CPU benchmark of `09_bench`, so these runs go the way the chapter says without proving it' in text
    later = pd.concat([mixup_seed_runs(), mixup_longer_runs()]).seconds.sum()
    assert (f"(its runs took {runs.seconds.sum() / 60:.0f} minutes on two cores; the same command also runs the cells of the next two "
            f"sections, whose runs took {later / 3600:.1f} hours more)") in text
    s = runs.set_index(['epochs', 'run']).seconds
    assert (f"the runs took {s[5, 'plain']:.0f} s without it and {s[5, 'MixUp(0.4)']:.0f} s with it at 5 epochs, "
            f"{s[20, 'plain']:.0f} s and {s[20, 'MixUp(0.4)']:.0f} s at 20") in text
    # the plain 5-epoch run repeats 02's fixed 64-pixel run: same recipe and seed, same accuracy to every digit
    fixed = progressive_logs().query("run == 'fixed 64 px'").accuracy.iloc[-1]
    assert acc.loc[5, 'plain'] == fixed and 'ended at the same accuracy to every digit' in text

def test_mixup_longer_table_and_prose():
    "04's 40-epoch runs (seed 42) continue its first table; its 20-epoch runs with seeds 1 and 2 sit beside seed 42's in a second"
    runs, acc, text = mixup_longer_runs(), mixup_longer_accuracy(), section(markdown('04_mixup.ipynb'), '## Longer training on a CPU')
    seed42 = pd.concat([mixup_accuracy(), acc.loc[42]])   # 5 and 20 epochs from the first file, 40 from this one
    rows = table_rows(text, 'epochs')
    assert set(rows) == {'5', '20', '40'} and list(seed42.index) == [5, 20, 40]
    for e, a in seed42.iterrows():
        assert rows[str(e)] == [f"{a['plain']:.4f}", f"{a['MixUp(0.4)']:.4f}", f'{mixup_lead(a):+.1f}'], e
    twenty, rows = mixup_twenty_accuracy(), table_rows(text, 'seed')
    assert list(rows) == ['42', '1', '2']
    for seed, a in twenty.iterrows():
        assert rows[str(seed)] == [f"{a['plain']:.4f}", f"{a['MixUp(0.4)']:.4f}", f'{mixup_lead(a):+.1f}'], seed
    text = ' '.join(text.split())
    lead, gained = mixup_lead(seed42), 100 * (seed42.loc[40] - seed42.loc[20])
    assert f"plain training gained {gained['plain']:.1f} points and Mixup {gained['MixUp(0.4)']:.1f}, so Mixup's lead grew to {lead[40]:.1f} points" in text
    assert lead.is_monotonic_increasing and f'{lead[5]:.1f} points at 5 epochs, {lead[20]:+.1f} at 20, {lead[40]:+.1f} at 40' in text
    lead20 = mixup_lead(twenty)
    assert f'{lead20[1]:.1f}' == f'{lead20[42]:.1f}' and f'With seed 1 Mixup was ahead by the same {lead20[1]:.1f} points as with seed 42' in text
    assert lead20[2] < 0 and f'but with seed 2 it was {-lead20[2]:.1f} points behind' in text
    assert f'is a lead of {lead20[42]:.1f} points more than another seed' in text
    five = mixup_lead(mixup_seed_accuracy()).mean()
    assert abs(lead20.mean()) < 0.05 and f"Mixup's mean difference was 0.0 points, where at 5 epochs it was {-five:.1f} points behind" in text
    within = 100 * (twenty.max() - twenty.min())
    assert f"The plain runs ended within {within['plain']:.1f} points of each other and the Mixup runs within {within['MixUp(0.4)']:.1f}" in text
    spread = bench_seed_spread()
    assert lead[[20, 40]].abs().max() < spread and lead20.abs().max() < spread
    assert f'All these leads, at 20 and at 40 epochs, are smaller than the {spread:.1f} points between two seeds' in text
    minutes = runs.set_index(['epochs', 'run']).seconds / 60
    assert (f"the 40-epoch runs took {minutes[40, 'plain']:.0f} and {minutes[40, 'MixUp(0.4)']:.0f} minutes on two cores, "
            f"the 20-epoch ones {minutes[20].min():.0f} to {minutes[20].max():.0f}") in text

def test_mixup_seeds_table_and_prose():
    "04's 5-epoch runs with seeds 1 and 2, beside seed 42's: the table, the mean cost, and how it compares with the seeds' own spread"
    runs, acc = mixup_seed_runs(), mixup_seed_accuracy()
    text = section(markdown('04_mixup.ipynb'), '## Five epochs, three seeds')
    rows = table_rows(text, 'seed')
    assert list(rows) == ['42', '1', '2'] and (runs.epochs == 5).all()
    for seed, a in acc.iterrows():
        assert rows[str(seed)] == [f"{a['plain']:.4f}", f"{a['MixUp(0.4)']:.4f}", f'{mixup_lead(a):+.1f}'], seed
    text, lead, spread = ' '.join(text.split()), mixup_lead(acc), bench_seed_spread()
    assert abs(abs(lead[42]) - spread) < 0.2 and f'it is about the size of the {spread:.1f} points between two seeds' in text
    assert (lead < 0).all() and f'Mixup cost accuracy with every seed, {-lead.mean():.1f} points on average' in text
    assert acc['MixUp(0.4)'].max() < acc['plain'].min() and 'all three Mixup runs ended below all three plain ones' in text
    within = 100 * (acc.max() - acc.min())
    assert f"The plain runs ended within {within['plain']:.1f} points of each other and the Mixup runs within {within['MixUp(0.4)']:.1f}" in text
    assert (within < -lead.mean()).all()   # "the cost of Mixup is larger than what a change of seed did to either"
    assert f'each run took {runs.seconds.min():.0f} to {runs.seconds.max():.0f} s on two cores' in text

def test_normalization_cpu_table():
    runs = normalization_runs()
    rows = table_rows(markdown('01_normalization.ipynb'), 'run')
    assert set(rows) == set(runs.index)
    for run, r in runs.iterrows():
        assert rows[run] == [f'{r.accuracy:.4f}', '' if pd.isna(r.seconds) else f'{r.seconds:.0f}'], run

def test_normalization_cpu_prose():
    acc, text = normalization_runs().accuracy, ' '.join(markdown('01_normalization.ipynb').split())
    gain, spread = 100 * (acc['normalized'] - acc['not normalized']), bench_seed_spread()
    assert 0 < gain < spread and f'the normalized run came out {gain:.1f} points ahead, less than the {spread:.1f} points' in text
    assert acc['normalized, shown unnormalized images'] < 0.2   # "barely above the 0.1 of guessing"
    assert f"fell from {acc['normalized']:.4f} to {acc['normalized, shown unnormalized images']:.4f}" in text
    assert acc['normalized'] == mixup_accuracy().loc[5, 'plain']

def test_tta_cpu_table_and_prose():
    t, gain = tta_table(), tta_gains()
    text = markdown('03_tta.ipynb')
    rows = table_rows(text, 'prediction')
    assert set(rows) == set(t.index)
    for name, r in t.iterrows(): assert rows[name] == [f'{r.accuracy:.4f}', f'{r.seconds:.1f}', f'{r.time_ratio:.1f}'], name
    text = ' '.join(text.split())
    assert (gain.drop('plain') > 0).all()   # "reproduces": every kind of TTA beat the plain pass
    assert f"fastai's `tta` added {gain['tta (n=4)']:.1f} points for {t.time_ratio['tta (n=4)']:.1f} times" in text
    assert (f"Five-crop TTA added {gain['five-crop tta']:.1f} points ({gain['five-crop tta (max)']:.1f} with the maximum) "
            f"for {t.time_ratio['five-crop tta']:.1f} times: the corners help, less than fastai's") in text
    assert gain['tta (n=4)'] > gain[['five-crop tta', 'five-crop tta (max)']].max()

def test_readme_cpu_claims():
    "The README's table of the chapter's claims quotes the same files as the notebooks"
    readme = (ROOT/'README.md').read_text()
    rows = {r[-1]: r[0] for r in table_rows(readme, 'the chapter says').values()}
    norm = normalization_runs().accuracy
    assert (f"fell from {norm['normalized']:.4f} to {norm['normalized, shown unnormalized images']:.4f} accuracy; "
            f"training from scratch without `Normalize` cost {100 * (norm['normalized'] - norm['not normalized']):.1f} points") in rows['`01_normalization`']
    saved, lost = progressive_cost()
    assert rows['`02_progressive_resizing`'] == f'5 epochs each, against a fixed size: {saved:.0%} less time, {lost:.1f} points lower'
    t, gain = tta_table(), tta_gains()
    assert rows['`03_tta`'] == (f"`tta` +{gain['tta (n=4)']:.1f} points for {t.time_ratio['tta (n=4)']:.1f}× the inference time, "
                                f"five-crop TTA +{gain['five-crop tta']:.1f}")
    longer, twenty = mixup_lead(mixup_longer_accuracy()), mixup_lead(mixup_twenty_accuracy())
    five = mixup_lead(mixup_seed_accuracy())
    assert (five < 0).all() and len(five) == 3 and list(twenty.index) == list(five.index)   # the same three seeds
    assert abs(twenty.mean()) < 0.05 and max(twenty.abs().max(), longer[(42, 40)]) < bench_seed_spread()
    assert rows['`04_mixup`'] == (f'behind with all three seeds at 5 epochs, by {-five.mean():.1f} points on average; '
                                  f'level at 20 with the same seeds ({twenty.min():+.1f} to {twenty.max():+.1f}, 0.0 on average); '
                                  f'{longer[(42, 40)]:+.1f} at 40 (seed 42): '
                                  "Mixup catches up, as the chapter says, but no lead is larger than seeds alone can change")
    g = smoothing_lead(noise_seed_accuracy()).groupby('noise').mean()
    lead = smoothing_lead(noise50_long_accuracy())
    assert (g < 0).all()
    assert rows['`05_label_smoothing`'] == (f'{g[5]:.1f}, {g[25]:.1f} and {g[50]:.1f} points at 5%, 25% and 50% wrong labels (mean of seeds 42, 1 and 2): '
                                            f'no gain at 5 epochs, as the chapter expects; {lead[42]:+.1f}, {lead[1]:+.1f} and {lead[2]:+.1f} at 50% after 20 epochs '
                                            'instead of 5 (the same seeds)')
    few, full = transfer_gaps('100 per class'), -transfer_gaps('all images')
    assert rows['`07_transfer_learning`'] == (f'+{few.mean().mean():.1f} points with 100 images per class; '
                                              f'from scratch {full.min().min():.1f} to {full.max().max():.1f} points better with all of them')
    assert f'two seeds of one recipe ended {bench_seed_spread():.1f} points apart' in ' '.join(readme.split())

def test_bench_h200_table_and_prose():
    report, by = h200_bench(), h200_by_config()
    assert report['device'] == 'NVIDIA H200' and report['seeds'] == 1 and (report['arch'], report['size'], report['epochs']) == ('xresnet50', 128, 5)
    text = section(markdown('09_bench.ipynb'), '### One seed on an H200')
    rows = table_rows(text, 'config')
    for name, r in by.items():
        assert rows[name] == [f"{r['seconds']:.0f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"], name
    flat = ' '.join(text.split())
    assert f"Cache build for all 13,394 images: {report['cache_build_seconds']:.1f} s" in flat
    speed = by['fast']['train_images_per_sec'] / by['stock']['train_images_per_sec']
    assert abs(by['fast']['accuracy'] - by['stock']['accuracy']) < 0.005   # "to the same accuracy"
    assert f'The fast path trained on {speed:.1f} times as many images per second as the stock pipeline, to the same accuracy' in flat
    tuned, lost = by['fast-tuned'], 100 * (by['stock']['accuracy'] - by['fast-tuned']['accuracy'])
    assert lost > 0 and f"`fast-tuned` was {tuned['speedup']:.1f} times as fast as `stock` but {lost:.1f} points less accurate" in flat
    # 09's gpu cell makes the same `benchmark` call as the command: its three checks hold for these figures
    assert by['fast']['accuracy'] >= 0.74 and tuned['accuracy'] >= 0.70 and speed > 1
    assert (f"`fast` reached {by['fast']['accuracy']:.4f}, `fast-tuned` {tuned['accuracy']:.4f}, and `fast` trained on "
            f"{speed:.1f} times as many images per second") in ' '.join(markdown('09_bench.ipynb').split())

def test_bench_bs128_h200():
    "09's batch size 128 run on the H200: the command, the table, the gaps to batch size 256 and to `stock` with the same seed, the README"
    report, by = h200_bs128(), h200_by_config()
    assert report['device'] == 'NVIDIA H200' and report['seeds'] == 1 and (report['arch'], report['size'], report['epochs']) == ('xresnet50', 128, 5)
    assert h200_bench()['seeds'] == 1   # both files: seed 0 alone, "all three with seed 0"
    [r] = report['results']
    assert (r['config'], r['bs'], r['lr'], r['precision'], r['opt'], r['record_on_device']) == ('fast-tuned', 128, 0.006, 'bf16', 'adam', False)
    text = section(markdown('09_bench.ipynb'), '### Batch size 128 on the GPU')
    assert ('python -m chapter7.bench --configs fast-tuned --tuned-bs 128 --tuned-lr 6e-3 --seeds 1 \\\n'
            '    --out results/bench/nvidia-h200-xresnet50-128px-5ep-fast-tuned-bs128.json') in text
    assert table_rows(text, 'config') == {'fast-tuned': [str(r['bs']), f"{r['lr']:.3f}", f"{r['warmup_seconds']:.1f}", f"{r['seconds']:.1f}",
                                                         f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"]}
    flat = ' '.join(text.split())
    above, below = 100 * (r['accuracy'] - by['fast-tuned']['accuracy']), 100 * (by['stock']['accuracy'] - r['accuracy'])
    assert above > 0 and below > 0
    assert (f"Batch size 128 ended {above:.1f} point above batch size 256 ({by['fast-tuned']['accuracy']:.4f} in the H200 table of Results) "
            f"but {below:.1f} points below `stock` ({by['stock']['accuracy']:.4f})") in flat
    cpu = 100 * (batch_size_accuracy().loc[(128, 0.006)] - batch_size_accuracy().loc[64].iloc[0]).mean()
    assert f'on the CPU, in fp32, it came within {-cpu:.1f} points on average' in flat
    spread = bench_seed_spread()
    assert spread < below < 1.5 * spread and f'larger than the {spread:.1f} points two seeds can differ by, but not by much' in flat
    assert f"warm-up, which took {r['warmup_seconds']:.1f} s, timed apart, so the {r['seconds']:.1f} s are training and validation alone" in flat
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert (f"On the H200, with one seed and the warm-up timed apart ({r['warmup_seconds']:.0f} s), that setting (`fast-tuned` at batch "
            f"size 128, learning rate 0.006) took {r['seconds']:.0f} s and reached {r['accuracy']:.4f}: {above:.1f} point above batch size 256, "
            f"but {below:.1f} below `stock`") in readme

def test_time_parts_h200():
    parts, by = h200_parts(), h200_by_config()
    text = section(markdown('09_bench.ipynb'), '### One seed on an H200')
    rows = table_rows(text, 'batch size, precision')
    for r in parts['runs']:
        name = f"{r['bs']}, {r['precision']}" + (', channels-last' if r['channels_last'] else '')
        assert rows[name] == [f"{r['data_images_per_sec']} ({r['data_ms_per_batch']})", f"{r['model_images_per_sec']} ({r['model_ms_per_step']})",
                              f"{r['fit_first_epoch_seconds']}, {r['fit_second_epoch_seconds']}"], name
    small, big = parts['runs']
    assert (small['bs'], big['bs']) == (64, 256)
    flat = ' '.join(text.split())
    data, model = round(epoch_seconds(small, 'data_ms_per_batch'), 1), round(epoch_seconds(small, 'model_ms_per_step'), 1)
    assert (f"the {TRAIN_IMAGES // 64} training batches of an epoch take {data:.1f} s of data and {model:.1f} s of model steps, yet the second "
            f"epoch of `fit` took {small['fit_second_epoch_seconds']:.1f} s: the other {small['fit_second_epoch_seconds'] - data - model:.1f} s") in flat
    assert abs(small['data_ms_per_batch'] - big['data_ms_per_batch']) < 0.2 * small['data_ms_per_batch']   # "about the same time per batch"
    both = epoch_seconds(big, 'data_ms_per_batch') + epoch_seconds(big, 'model_ms_per_step')
    five = big['fit_first_epoch_seconds'] + 4 * big['fit_second_epoch_seconds']
    assert f"data and model steps make up {both:.1f} s of an epoch's {big['fit_second_epoch_seconds']:.1f}" in flat
    tuned = by['fast-tuned']['seconds']
    assert 1.8 < tuned / five < 2.2   # "twice that"
    model5, quarter = 5 * epoch_seconds(small, 'model_ms_per_step'), by['stock']['seconds'] / 4
    assert (f"the model's steps alone take {epoch_seconds(small, 'model_ms_per_step'):.1f} s an epoch on this GPU (below), {model5:.1f} s for five, "
            f"so running four times as fast as `stock` ({quarter:.0f} s) would leave under {quarter - model5:.0f} s") in flat
    assert quarter - model5 < round(quarter - model5)   # "under 4 s"
    assert f"{big['fit_first_epoch_seconds']} + 4 × {big['fit_second_epoch_seconds']} = {five:.1f} s; the benchmark's `fast-tuned` run took {tuned:.1f} s, twice that" in flat
    first_extra = {r['bs']: r['fit_first_epoch_seconds'] - r['fit_second_epoch_seconds'] for r in (small, big)}
    assert (f"its first `fit` epoch took {first_extra[256]:.1f} s longer than the second at batch size 256 "
            f"({first_extra[64]:.1f} s at 64)") in flat

def test_normalization_h200():
    acc = h200_normalization().accuracy
    text = section(markdown('01_normalization.ipynb'), '## On the real data (GPU)')
    assert table_rows(text, 'run') == {run: [f'{a:.4f}'] for run, a in acc.items()}
    gap = 100 * (acc['not normalized'] - acc['normalized'])
    assert acc['normalized'] >= 0.74   # the gpu cell's check
    flat, spread = ' '.join(text.split()), bench_seed_spread()
    assert 0 < gap < spread and f'the run without `Normalize` came out {gap:.1f} points ahead' in flat
    assert f'two seeds of one recipe differed by {spread:.1f} points' in flat

def test_progressive_h200():
    logs = {run: log.reset_index(drop=True) for run, log in h200_progressive_logs().groupby('run')}
    text = section(markdown('02_progressive_resizing.ipynb'), '## On the real data (GPU)')
    rows = table_rows(text, 'run')
    assert set(rows) == set(logs)
    for run, log in logs.items(): assert rows[run] == [f'{log.accuracy.iloc[-1]:.4f}', f'{log.seconds.iloc[-1]:.0f}', str(len(log))], run
    prog, fixed = logs['progressive 64 -> 128 px'], logs['fixed 128 px']
    saved, lost = h200_progressive_cost()
    flat = ' '.join(text.split())
    assert saved > 0 and lost > 0 and f'progressive resizing saved {saved:.0%} of the time and lost {lost:.1f} points of accuracy' in flat
    gain, base = h200_progressive_over_baseline(), h200_normalization().accuracy['normalized']
    assert gain > 0 and f"it ended {gain:.1f} points above the 5-epoch baseline at 128 pixels from the same seed ({base:.4f}," in flat
    assert len(prog) == 2 * 5 == len(fixed) and "But it trained twice as many epochs." in flat   # the 5-epoch baseline's
    small = prog[prog['size'] == 64]
    at_64, at_128 = small.seconds.iloc[-1] / len(small), fixed.seconds.iloc[-1] / len(fixed)
    assert f"an epoch at 64 pixels took {at_64:.1f} seconds against {at_128:.1f} at 128, half the time" in flat and 0.45 < at_64 / at_128 < 0.55
    k = len(small)
    assert f'the first epoch at 128 pixels lowered it from {prog.accuracy[k - 1]:.3f} to {prog.accuracy[k]:.3f}' in flat

def test_readme_gpu_claims():
    "The README's GPU figures quote the same files as the notebooks"
    readme = (ROOT/'README.md').read_text()
    rows = gpu_rows(readme)
    acc = h200_normalization().accuracy
    assert rows['normalization matters'] == [f"from scratch, {acc['normalized']:.4f} with `Normalize` and {acc['not normalized']:.4f} "
                                             "without, after 5 epochs: no difference one seed can show", 'H200', '`01_normalization`']
    saved, lost = h200_progressive_cost()
    final = h200_progressive_logs().groupby('run').accuracy.last()
    assert rows['training on small images first saves time, and ending on large ones keeps the accuracy'] == [
        f"4 epochs at 64 px, then `fine_tune(5)` at 128 (the chapter's schedule): {h200_progressive_over_baseline():.1f} points above the "
        f"5-epoch baseline, as in the chapter, but {lost:.1f} points below 10 epochs at 128 px "
        f"({final['progressive 64 -> 128 px']:.4f} against {final['fixed 128 px']:.4f}), in {saved:.0%} less time", 'H200', '`02_progressive_resizing`']
    by, flat = h200_by_config(), ' '.join(readme.split())
    stock, fast, tuned = by['stock'], by['fast'], by['fast-tuned']
    assert (f"trained on {fast['train_images_per_sec'] / stock['train_images_per_sec']:.1f} times as many images per second as the stock pipeline "
            f"({fast['train_images_per_sec']:.0f} against {stock['train_images_per_sec']:.0f}), to the same accuracy "
            f"({fast['accuracy']:.4f} and {stock['accuracy']:.4f}), and a run took {fast['seconds']:.0f} s instead of {stock['seconds']:.0f}; "
            f"with bf16, channels-last and batch size 256 it took {tuned['seconds']:.0f} s, but reached only {tuned['accuracy']:.4f}") in flat
    small, big = h200_parts()['runs']
    assert (f"the model alone trains an epoch in {epoch_seconds(small, 'model_ms_per_step'):.1f} s at batch size 64 (fp32) "
            f"and in {epoch_seconds(big, 'model_ms_per_step'):.1f} s at 256 (bf16)") in flat

def gpu_cells(device:str='nvidia-h200') -> pd.DataFrame: return pd.read_csv(ROOT/f'results/gpu_cells/{device}.csv')

def gpu_source(nb:str) -> str:
    cells = json.loads((ROOT/'nbs'/nb).read_text())['cells']
    return '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#| gpu'))

def test_gpu_cells_h200():
    "A notebook is said to have passed on the H200 exactly when the list of runs says so, and the floors quoted are its asserts"
    runs, readme = gpu_cells(), ' '.join((ROOT/'README.md').read_text().split())
    passed = set(runs.notebook[runs.outcome == 'passed'])
    assert passed == {'03_tta', '04_mixup', '05_label_smoothing', '08_augmentation'}
    assert not passed & set(runs.notebook[runs.outcome != 'passed'])
    assert f"The `gpu` cells of {', '.join(f'`{nb}`' for nb in sorted(passed)[:-1])} and `{sorted(passed)[-1]}` ran on the H200 too and passed" in readme
    for nb in runs.notebook.unique():
        text = ' '.join(markdown(f'{nb}.ipynb').split())
        said = f'Run on an NVIDIA H200 with `nbdev_test --flags gpu --path nbs/{nb}.ipynb`'
        assert (said in text and 'the cell passed' in text) == (nb in passed), nb
    floors = {'03_tta': ["real_table.loc['plain', 'accuracy'] >= 0.74", "real_table.loc['tta (n=4)', 'accuracy'] >= real_table.loc['plain', 'accuracy']"],
              '04_mixup': ["five.loc['plain', 'accuracy'] >= 0.74", "five.loc['MixUp(0.4)', 'accuracy'] >= 0.65"],
              '05_label_smoothing': ["(real.loc[5] >= 0.70).all()"],
              '08_augmentation': ["acc > 0.6"]}
    for nb, checks in floors.items():
        for check in checks: assert f'assert {check}' in gpu_source(f'{nb}.ipynb'), (nb, check)

def test_transfer_h200_readme():
    readme = (ROOT/'README.md').read_text()
    few, full = transfer_gaps('100 per class', 'nvidia-h200-xresnet50-128px'), -transfer_gaps('all images', 'nvidia-h200-xresnet50-128px')
    assert gpu_rows(readme)["transfer learning pays when data is scarce (chapter 1)"] == [
        f"+{few.mean().mean():.1f} points with 100 images per class; from scratch {full.min().min():.1f} to "
        f"{full.max().max():.1f} points better with all of them (two and three seeds)", 'H200', '`07_transfer_learning`']

# The H100 runs: 04's 5-epoch cell (and the plain half of its 20-epoch cell), 05's noise cell, 07's progressive-resizing cell
H100 = 'nvidia-h100-80gb-hbm3'
def h100_mixup() -> pd.DataFrame: return pd.read_csv(ROOT/f'results/mixup/{H100}-xresnet50-128px.csv', index_col='run')
def h100_mixup_twenty() -> pd.DataFrame: return pd.read_csv(ROOT/f'results/mixup/{H100}-xresnet50-128px-20ep-bf16.csv', index_col='run')
def h100_noise_runs() -> pd.DataFrame: return pd.read_csv(ROOT/f'results/label_smoothing/{H100}-xresnet50-128px-noise.csv')
def h100_transfer_progressive() -> pd.DataFrame: return pd.read_csv(ROOT/f'results/transfer/{H100}-xresnet50-128px-progressive.csv')
def h100_pretraining() -> float: return json.loads((ROOT/f'results/transfer/{H100}-xresnet50-128px-pretraining.json').read_text())['accuracy']
def h100_progressive_accuracy() -> pd.DataFrame: return h100_transfer_progressive().pivot(index='schedule', columns='seed', values='accuracy')
def h100_progressive_cost(acc:pd.DataFrame) -> pd.Series:
    "Points the progressive run lost against the fixed one on the pretrained body, by seed"
    return 100 * (acc.loc['fixed 128'] - acc.loc['progressive 64->128'])

def test_mixup_h100():
    "04's 5-epoch table on the H100, its gap against the seed spread, and the one 20-epoch run that finished there (the plain one)"
    runs, twenty = h100_mixup(), h100_mixup_twenty()
    text = section(markdown('04_mixup.ipynb'), 'Run again on an NVIDIA H100')
    assert table_rows(text, 'run on the GPU') == {run: [f'{a:.4f}'] for run, a in runs.accuracy.items()}
    flat, gap, spread = ' '.join(text.split()), -mixup_lead(runs.accuracy), bench_seed_spread()
    assert gap > 0 and f'At the GPU scale Mixup cost {gap:.1f} points after 5 epochs' in flat
    assert abs(gap - spread) < 0.1 and f'the gap is about the {spread:.1f} points between two seeds' in flat
    assert f"the runs took {runs.seconds['plain']:.0f} and {runs.seconds['MixUp(0.4)']:.0f} s while sharing the GPU" in flat
    cpu = mixup_seed_accuracy()
    assert (cpu['MixUp(0.4)'] < cpu.plain).all()   # the CPU seeds: "with Mixup behind every time"
    assert list(twenty.index) == ['plain']   # the Mixup run did not finish, as the prose says
    assert (f"finished only the plain run before the time ran out: {twenty.accuracy['plain']:.4f} after 20 epochs "
            f"(bf16, channels-last, {twenty.seconds['plain']:.0f} s;") in flat

def test_mixup_twenty_h200():
    "04's 20-epoch runs on the H200: the table, the gap against 5 epochs' and the seed spread, the plain run against the H100's, the README's row"
    runs, five, h100 = h200_mixup_twenty(), h100_mixup(), h100_mixup_twenty()
    text = section(markdown('04_mixup.ipynb'), 'Run on an NVIDIA H200, alone on the GPU')
    assert list(runs.index) == ['plain', 'MixUp(0.4)']
    assert table_rows(text, 'run on the GPU') == {run: [f'{r.accuracy:.4f}', f'{r.seconds:.0f}'] for run, r in runs.iterrows()}
    flat, gap, gap5 = ' '.join(text.split()), -mixup_lead(runs.accuracy), -mixup_lead(five.accuracy)
    assert 0 < gap < gap5 and f'After 20 epochs Mixup was {gap:.1f} points behind, where after 5 it had been {gap5:.1f} points behind' in flat
    assert gap < bench_seed_spread() / 2   # "far smaller than seeds alone can make"
    assert (mixup_twenty_accuracy()['MixUp(0.4)'] - mixup_twenty_accuracy().plain).abs().max() < 0.01   # "as on the CPU": level within a point
    drop = 100 * (h100.accuracy['plain'] - runs.accuracy['plain'])
    assert drop > 0 and (f"ended {drop:.1f} points lower on this GPU ({runs.accuracy['plain']:.4f} against "
                         f"{h100.accuracy['plain']:.4f})") in flat
    assert 'results/mixup/nvidia-h200-xresnet50-128px-20ep-bf16.csv' in flat
    assert "(longer.accuracy >= 0.80).all()" in gpu_source('04_mixup.ipynb') and (runs.accuracy >= 0.80).all()   # the cell's check holds
    readme = (ROOT/'README.md').read_text()
    assert gpu_rows(readme)['Mixup costs accuracy in short training and pays off in long'] == [
        f"5 epochs: {gap5:.1f} points lower ({five.accuracy['MixUp(0.4)']:.4f} against {five.accuracy['plain']:.4f}) on the H100; "
        f"20 epochs: {gap:.1f} points lower ({runs.accuracy['MixUp(0.4)']:.4f} against {runs.accuracy['plain']:.4f}) on the H200: "
        "Mixup all but catches up, but does not pull ahead", 'H100, H200', '`04_mixup`']
    assert "that cell's code then ran on the H200, each run in a process of its own" in ' '.join(readme.split())
    assert 'Still to be run on a GPU: the Mixup' not in ' '.join(readme.split())

def test_noise_h100():
    "05's noise table on the H100: each level, the lead growing with the noise, all within the seed spread"
    runs = h100_noise_runs()
    acc = noise_accuracy(runs)
    lead = smoothing_lead(acc)
    text = section(markdown('05_label_smoothing.ipynb'), 'Run again on an NVIDIA H100')
    rows = table_rows(text, 'wrong labels')
    assert list(rows) == [f'{n}%' for n in acc.index] == ['5%', '25%', '50%']
    for n, r in acc.iterrows():
        assert rows[f'{n}%'] == [f"{r['cross-entropy']:.4f}", f"{r['label smoothing ε=0.1']:.4f}", f'{lead[n]:+.1f}'], n
    flat, spread = ' '.join(text.split()), bench_seed_spread()
    assert lead.is_monotonic_increasing and lead[5] < 0 < lead[50]
    assert f"smoothing's lead grew with the share of wrong labels, from {-lead[5]:.1f} points behind at 5% to {lead[50]:.1f} ahead at 50%" in flat
    assert smoothing_lead(noise_seed_accuracy()).groupby('noise').mean().idxmin() == 50   # "on the CPU ... furthest behind at 50%"
    assert lead.abs().max() < spread and f'every gap is smaller than the {spread:.1f} points between two seeds' in flat
    assert f'each run took {runs.seconds.min():.0f} to {runs.seconds.max():.0f} s while sharing the GPU' in flat
    row = gpu_rows((ROOT/'README.md').read_text())['label smoothing helps with mislabeled data']
    assert row == [f"5 epochs, 5%, 25% and 50% wrong labels: {lead[5]:+.1f}, {lead[25]:+.1f} and {lead[50]:+.1f} points, "
                   "the chapter's direction but each gap within seed spread", 'H100', '`05_label_smoothing`']

def test_transfer_progressive_h100():
    "07's progressive-resizing cell on the H100: the table by seed, the cost on both seeds, the tie of the fixed runs"
    text = section(markdown('07_transfer_learning.ipynb'), 'The progressive-resizing cell then ran on an NVIDIA H100')
    rows, acc = table_rows(text, 'schedule'), h100_progressive_accuracy()
    assert set(rows) == set(acc.index) and list(acc.columns) == [0, 1]
    for schedule, a in acc.iterrows(): assert rows[schedule] == [f'{v:.4f}' for v in (*a, a.mean())], schedule
    flat, cost, spread = ' '.join(text.split()), h100_progressive_cost(acc), bench_seed_spread()
    assert f'the body reached {h100_pretraining():.3f} accuracy on its five classes' in flat
    assert (cost > 0).all() and f'cost the pretrained model accuracy on both seeds, {cost[0]:.1f} and {cost[1]:.1f} points' in flat
    assert cost.max() < spread and f'within the {spread:.1f} points between two seeds' in flat
    right = acc * 1991   # images right, if 1,991 is the validation set: then all four runs give whole numbers
    assert (right - right.round()).abs().max().max() < 1e-3 and (right.loc['fixed 128'].round() == 1610).all()
    assert 'the same number of validation images right, 1,610 of 1,991' in flat
    assert transfer_progressive().query("schedule == 'fixed 64'").accuracy.nunique() == 2   # "on the CPU the same two seeds gave different accuracies"
    mean = acc.mean(axis=1)
    assert gpu_rows((ROOT/'README.md').read_text())['progressive resizing can hurt a pretrained model'] == [
        f"{cost[0]:.1f} and {cost[1]:.1f} points lower on two seeds ({mean['progressive 64->128']:.4f} against {mean['fixed 128']:.4f} on average)",
        'H100', '`07_transfer_learning`']

def test_gpu_cells_h100():
    "What the notebooks and the README say ran on the H100 is what the list of runs says"
    runs = gpu_cells(H100).set_index('notebook')
    assert runs.outcome.to_dict() == {'05_label_smoothing': 'passed', '07_transfer_learning': 'passed with its recipes cell skipped',
                                      '04_mixup': 'stopped by the time limit in its 20-epoch cell'}
    assert (runs.alongside == 'two other notebooks').all()
    said = {nb: ' '.join(markdown(f'{nb}.ipynb').split()) for nb in runs.index}
    others = lambda nb: ' and '.join(f'`{o}`' for o in sorted(runs.index) if o != nb)
    for nb in runs.index: assert f'on an NVIDIA H100 (80 GB) with the same command, beside {others(nb)} on the same GPU' in said[nb], nb
    assert 'the 5-epoch cell passed' in said['04_mixup'] and 'The 20-epoch cell did not finish within the run\'s time limit' in said['04_mixup']
    assert 'the cell passed and saved its runs' in said['05_label_smoothing']
    assert 'with the recipes cell skipped for that run' in said['07_transfer_learning']
    assert ("On the H100, run side by side, `05_label_smoothing` and `07_transfer_learning` (its recipes cell skipped) passed, and "
            "`04_mixup`'s 5-epoch cell passed before the time limit stopped it in the 20-epoch cell") in ' '.join((ROOT/'README.md').read_text().split())

def test_experiments_results_state():
    "11 says its results files have not been made yet: true until they are committed"
    text = ' '.join(markdown('11_experiments.ipynb').split())
    made = [f for f in ('chapter.json', 'leaderboard.json') if (ROOT/'results'/f).exists()]
    assert ('they need a GPU, and none has been run yet' in text) == (not made), made

def h100_by_config() -> dict:
    "The H100's three-seed results: `stock` and `fast` from the first command, `fast-tuned` from the second"
    return {**{r['config']: r for r in h100_bench()['results']}, 'fast-tuned': h100_bench_tuned()['results'][0]}

def h100_seed0_rows() -> list:
    "The seed-0 runs 09 compares, in its table's order: (loop, run record)"
    first, tuned, alone = pd.DataFrame(h100_bench()['runs']), pd.DataFrame(h100_bench_tuned()['runs']), h100_bench_seed0()
    pick = lambda df, **kw: df[(df[list(kw)] == pd.Series(kw)).all(axis=1)].squeeze(axis=0)
    return [("fastai's", pick(first, config='stock', seed=0)), ("fastai's", pick(alone, config='fast', opt='adam')),
            ('leaner', pick(first, config='fast', seed=0)), ("fastai's", pick(alone, config='fast-tuned', opt='adam')),
            ('leaner', pick(tuned, config='fast-tuned', seed=0)), ('leaner', pick(alone, bs=128)), ('leaner', pick(alone, config='fast-tuned', bs=64))]

def precision_cell(r, config:str|None=None) -> str:
    "A table's batch size and precision cell; for reports from before `--channels-last`, which lack the field, `config` says it"
    return f"{r['bs']}, {r['precision']}" + (', channels-last' if r.get('channels_last', config == 'fast-tuned') else '')

def test_bench_h100_table():
    "09's three-seed H100 table: both commands' reports, the table, and what it says of the targets"
    first, second, by = h100_bench(), h100_bench_tuned(), h100_by_config()
    for rep in (first, second):
        assert rep['device'] == 'NVIDIA H100 80GB HBM3'
        assert (rep['arch'], rep['size'], rep['epochs'], rep['seeds'], rep['opt'], rep['record_on_device']) == ('xresnet50', 128, 5, 3, 'foreach', True)
    assert first['complete'] is False and second['complete'] is True
    assert [(r['config'], r['seed']) for r in first['runs']] == [(c, s) for c in ('stock', 'fast') for s in range(3)] + [('fast-tuned', 0)]
    assert [(r['config'], r['seed']) for r in second['runs']] == [('fast-tuned', s) for s in range(3)]
    assert all(r['runs'] == 3 for r in by.values()) and by['stock']['opt'] == 'adam' and by['fast']['opt'] == by['fast-tuned']['opt'] == 'foreach'
    text = section(markdown('09_bench.ipynb'), '### Three seeds on an H100')
    text = text[:text.index('### One seed on an H200')]
    for cmd in ('python -m chapter7.bench --seeds 3 --opt foreach --record-on-device \\\n'
                '    --out results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json',
                'python -m chapter7.bench --configs fast-tuned --seeds 3 --opt foreach --record-on-device \\\n'
                '    --out results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean-fast-tuned.json'): assert cmd in text
    stock = by['stock']['seconds']
    assert table_rows(text, 'configuration') == {
        c: [precision_cell(r, c), f"{r['seconds']:.1f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}",
            f"{stock / r['seconds']:.1f}"] for c, r in by.items()}
    flat = ' '.join(text.split())
    assert len(first['runs']) == 7 and 'its report kept the seven runs that had finished' in flat
    assert (f"Cache build for all 13,394 images: {first['cache_build_seconds']:.1f} s ({second['cache_build_seconds']:.1f} s in the second command). "
            f"Warm-ups, timed apart: {by['stock']['warmup_seconds']:.1f} s for `stock`, {by['fast-tuned']['warmup_seconds']:.1f} s for `fast-tuned`") in flat
    assert by['fast']['warmup_seconds'] < 0.1   # "next to nothing"
    fast, tuned = by['fast'], by['fast-tuned']
    gain = 100 * (fast['accuracy'] - by['stock']['accuracy'])
    assert 0 < gain < min(fast['accuracy_std'], by['stock']['accuracy_std']) * 100
    assert f"1.9 times as fast as `stock`, to the same accuracy** ({gain:.1f} points above it" in flat and f"{stock / fast['seconds']:.1f}" == '1.9'
    ms = h100_parts()['runs'][0]['model_ms_per_step']
    model5 = 5 * (TRAIN_IMAGES // 64) * ms / 1000
    assert (f"Four times as fast ({stock / 4:.1f} s) is out of reach on this GPU in the memory layout timed: the model's steps alone take {ms:.1f} ms each at this batch size "
            f"in fp32 (`time_parts`, below), {model5:.1f} s for the 5 × {TRAIN_IMAGES // 64} steps of five epochs, which would leave "
            f"{stock / 4 - model5:.1f} s") in flat
    lost = 100 * (by['stock']['accuracy'] - tuned['accuracy'])
    assert (f"a 5-epoch experiment in {tuned['seconds']:.1f} s, {stock / tuned['seconds']:.1f} times as fast as `stock`, but {lost:.1f} points "
            "less accurate.** Neither half") in flat and tuned['seconds'] > 8 and lost > 1
    assert f"**The cache build: {first['cache_build_seconds']:.1f} s, under the 30 s" in flat and max(first['cache_build_seconds'], second['cache_build_seconds']) < 30
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert (f"a run on the fast path took {fast['seconds']:.1f} s instead of the stock pipeline's {stock:.1f}, to the same accuracy "
            f"({fast['accuracy']:.4f} and {by['stock']['accuracy']:.4f} on average); with bf16, channels-last and batch size 256 it took "
            f"{tuned['seconds']:.1f} s but reached only {tuned['accuracy']:.4f}") in readme
    assert (f"is out of reach there in the default memory layout: the model's steps alone take {model5:.1f} s of five epochs "
            "(channels-last, `--channels-last`, is untried in fp32)") in readme
    assert gpu_rows((ROOT/'README.md').read_text())['an experiment should take a couple of minutes at most'] == [
        f"the chapter's recipe in {stock:.1f} s with the stock pipeline, {fast['seconds']:.1f} s on the fast path to the same accuracy, "
        f"{tuned['seconds']:.1f} s with bf16 at batch size 256 but {lost:.1f} points less accurate (three seeds each)", 'H100', '`09_bench`']

def test_bench_h100_loops():
    "09's seed-0 H100 table (fastai's loop against the leaner one, two more batch sizes), the parts of an epoch, and the prose on them"
    rows = h100_seed0_rows()
    assert [r['seed'] for _, r in rows] == [0] * 7
    assert [(loop, r['opt'], bool(r['record_on_device'])) for loop, r in rows] == [
        (loop, 'adam', False) if loop == "fastai's" else (loop, 'foreach', True) for loop, _ in rows]
    text = section(markdown('09_bench.ipynb'), '### Three seeds on an H100')
    text = text[:text.index('### One seed on an H200')]
    assert table_cells(text, 'configuration, seed 0') == [
        [r['config'], precision_cell(r, r['config']), loop, f"{r['seconds']:.1f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"]
        for loop, r in rows]
    (_, stock), (_, fast_fastai), (_, fast_lean), (_, tuned_fastai), (_, tuned_lean), (_, bs128), (_, bs64) = rows
    assert fast_fastai['seconds'] > 0.95 * stock['seconds'] and fast_fastai['train_images_per_sec'] < stock['train_images_per_sec']   # "no faster"
    assert fast_lean['seconds'] < 0.6 * fast_fastai['seconds'] and tuned_lean['seconds'] < tuned_fastai['seconds']
    small, big = h100_parts()['runs']
    assert (small['bs'], small['precision'], big['bs'], big['precision'], big['channels_last']) == (64, 'fp32', 256, 'bf16', True)
    assert table_rows(section(text, 'The parts of an epoch, timed by'), 'batch size, precision') == {
        precision_cell(p): [
            f"{p['data_ms_per_batch']:.1f}", f"{p['model_ms_per_step']:.1f}", f"{p['adam_ms_per_step']:.1f}, {p['foreach_adam_ms_per_step']:.1f}",
            f"{p['fit_first_epoch_seconds']:.1f}, {p['fit_second_epoch_seconds']:.1f}",
            f"{p['fit_foreach_on_device_first_epoch_seconds']:.1f}, {p['fit_foreach_on_device_second_epoch_seconds']:.1f}"] for p in (small, big)}
    flat = ' '.join(text.split())
    assert 0.6 < small['adam_ms_per_step'] / small['model_ms_per_step'] < 0.7   # "two thirds"
    assert (f"{small['adam_ms_per_step']:.1f} ms a step at batch size 64, two thirds of the time the model's step takes; `ForeachAdam` takes "
            f"{small['foreach_adam_ms_per_step']:.1f}. With it and `RecordOnDevice`, the second epoch at batch size 64 took "
            f"{small['fit_foreach_on_device_second_epoch_seconds']:.1f} s instead of {small['fit_second_epoch_seconds']:.1f}") in flat
    assert (f"The benchmark's run with fastai's loop took {fast_fastai['seconds']:.1f} s, more than five of those "
            f"{small['fit_second_epoch_seconds']:.1f} s epochs ({5 * small['fit_second_epoch_seconds']:.0f} s)") in flat
    assert f"the same configuration, seed 0 with fastai's loop, took {h200_by_config()['fast']['seconds']:.0f} s" in flat and h200_bench()['seeds'] == 1
    below128 = 100 * (stock['accuracy'] - bs128['accuracy'])
    assert bs128['lr'] == 0.006 and h200_bs128()['results'][0]['accuracy'] < h200_by_config()['stock']['accuracy']   # "as on the H200"
    assert f"took {bs128['seconds']:.1f} s and ended {below128:.1f} points below `stock` with the same seed, as on the H200" in flat
    assert bs64['accuracy'] >= stock['accuracy'] and bs64['seconds'] > fast_lean['seconds']   # kept the accuracy; slower than fp32
    assert f"kept the accuracy but took {bs64['seconds']:.1f} s" in flat and f"faster than fp32 ({fast_lean['seconds']:.1f} s)" in flat
    timed = [(r['precision'], r['channels_last']) for parts in (h100_parts(), h200_parts()) for r in parts['runs']]
    assert ('fp32', True) not in timed and "channels-last in fp32, which `time_parts` has not timed" in flat
    from chapter7.bench import main
    assert "(`--channels-last` trains `fast` so)" in flat and 'channels_last' in inspect.signature(main).parameters
    from chapter7.fast_data import _WITHOUT_SYNC   # the warp's two waits, which these runs still had, are skipped now
    assert {'solve', 'apply_perspective'} <= set(_WITHOUT_SYNC)
    assert ("A third was found after these runs: the fast path's training batches still made the CPU wait for the GPU twice "
            "each, in fastai's warp") in flat and "what that changes on the GPU is for the next run to measure" in flat
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert ("Those runs still waited for the GPU twice a training batch, in fastai's warp; the fast path no longer does, with "
            "the same pixels, and no GPU run has timed it since.") in readme
    compiled = [f.name for f in (ROOT/'results/bench').glob('*.json') if '"compile": true' in f.read_text()]
    assert not compiled and 'compile' in inspect.signature(main).parameters   # "no GPU run has timed it", until one has
    assert "which `--compile` now asks for (`CompileModel` compiles the model with `torch.compile`; no GPU run has timed it)" in flat
    assert "Nor has any timed `--compile`, which compiles the model with `torch.compile` (`CompileModel`" in readme
    assert ("`--compile --compile-mode reduce-overhead --opt foreach` more so, asking PyTorch to launch each of the model's "
            "graphs as one CUDA graph (untimed too)") in flat and 'compile_mode' in inspect.signature(main).parameters
    assert "or `--compile-mode reduce-overhead`, which also asks PyTorch to launch each of the model's graphs as one CUDA graph" in readme
    nb = ' '.join(markdown('09_bench.ipynb').split())
    assert (f"On an H100, at batch size 64, fastai's `Adam` took {small['adam_ms_per_step']:.1f} ms a step and `ForeachAdam` "
            f"{small['foreach_adam_ms_per_step']:.1f} (Results)") in nb
    assert f"`fast` trained on fewer images per second than `stock` ({fast_fastai['train_images_per_sec']:.0f} against {stock['train_images_per_sec']:.0f}, seed 0" in nb
    assert f"on the H100 it trained on {fast_lean['train_images_per_sec']:.0f} against {stock['train_images_per_sec']:.0f} (seed 0, Results)" in nb
    readme = ' '.join((ROOT/'README.md').read_text().split())
    assert f"own loop the fast path was no faster than the stock pipeline on that machine ({fast_fastai['seconds']:.1f} s, one seed)" in readme
    assert f"On the H100, with the leaner loop, it took {bs128['seconds']:.1f} s and ended {below128:.1f} points below `stock` with the same seed" in readme
