"Measured results committed in `results/` and the prose that quotes them: every quoted figure must match its file"
import json, re
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

def markdown(nb:str) -> str:
    cells = json.loads((ROOT/'nbs'/nb).read_text())['cells']
    return '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')

def table_rows(text:str, first:str) -> dict:
    "Rows of the markdown table in `text` whose header starts with `first`: first column -> the other cells"
    lines = text[text.index(f'| {first} |'):].splitlines()
    rows = [[c.strip() for c in l.strip('|').split('|')] for l in lines[2:] if l.startswith('|')]
    return {r[0]: r[1:] for r in rows}

def progressive_logs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/progressive/cpu-xresnet18-32-64px.csv')
def transfer_runs() -> pd.DataFrame: return pd.read_csv(ROOT/'results/transfer/cpu-xresnet18-64px-recipes.csv')
def transfer_progressive() -> pd.DataFrame: return pd.read_csv(ROOT/'results/transfer/cpu-xresnet18-64px-progressive.csv')

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
    saved = 1 - prog.seconds.iloc[-1] / fixed.seconds.iloc[-1]
    lost = 100 * (fixed.accuracy.iloc[-1] - prog.accuracy.iloc[-1])
    assert saved > 0 and lost > 0 and f'saved {saved:.0%} of the time and lost {lost:.1f} points' in text
    small = prog[prog['size'] == 32]
    assert f'An epoch at 32 pixels still took {small.seconds.iloc[-1] / len(small):.0f} seconds against {fixed.seconds.iloc[-1] / len(fixed):.0f} at 64' in text
    switch = len(small)
    assert f'lowered accuracy from {prog.accuracy[switch - 1]:.3f} to {prog.accuracy[switch]:.3f}' in text

def test_bench_cpu_table():
    report = json.loads((ROOT/'results/bench/cpu-xresnet18-64px-3ep.json').read_text())
    text = markdown('09_bench.ipynb')
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

def test_transfer_cpu_tables():
    folder = ROOT/'results/transfer'
    text = markdown('07_transfer_learning.ipynb')
    pretraining = json.loads((folder/'cpu-xresnet18-64px-pretraining.json').read_text())['accuracy']
    assert f'reaches {pretraining:.3f} accuracy on them' in ' '.join(text.split())
    runs = transfer_runs()
    rows = table_rows(text, 'recipe')
    for recipe, r in runs.groupby('recipe', sort=False):
        full = r[r.data == 'all images'].sort_values('seed').accuracy
        few = r[r.data == '100 per class'].sort_values('seed').accuracy
        expected = [f'{a:.4f}' for a in (*full, full.mean())] + [f'{a:.3f}' for a in (*few, few.mean())]
        assert rows[f'`{recipe}`' if recipe == 'fine_tune' else recipe] == expected, recipe
    prog = transfer_progressive()
    rows = table_rows(text, 'schedule')
    for schedule, r in prog.groupby('schedule', sort=False):
        r = r.sort_values('seed')
        assert rows[schedule] == [f'{a:.4f}' for a in (*r.accuracy, r.accuracy.mean())] + [f'{r.seconds.mean():.0f}'], schedule

def test_transfer_cpu_prose():
    runs, text = transfer_runs(), ' '.join(markdown('07_transfer_learning.ipynb').split())
    for data, winner, phrase in [('all images', 'from scratch', 'training from scratch beat both transfer recipes on both seeds, by {lo:.1f} to {hi:.1f} points'),
                                 ('100 per class', 'transfer', 'both transfer recipes beat it on every seed, by {lo:.1f} to {hi:.1f} points ({mean:.1f} on average)')]:
        acc = runs[runs.data == data].pivot(index='recipe', columns='seed', values='accuracy')
        gaps = 100 * (acc.loc[['fine_tune', 'freeze/unfreeze']] - acc.loc['from scratch'])
        if winner == 'from scratch': gaps = -gaps
        assert (gaps > 0).all().all(), (data, gaps)   # the winner the prose names won every comparison
        assert phrase.format(lo=gaps.min().min(), hi=gaps.max().max(), mean=gaps.mean().mean()) in text, data
    prog = transfer_progressive().pivot(index='schedule', columns='seed')
    cost = 100 * (prog.accuracy.loc['fixed 64'] - prog.accuracy.loc['progressive 32->64'])
    saved = 1 - prog.seconds.loc['progressive 32->64'].mean() / prog.seconds.loc['fixed 64'].mean()
    assert (cost > 0).all() and saved > 0
    assert f'on both seeds, {cost[0]:.1f} and {cost[1]:.1f} points, for {saved:.0%} less time' in text
    spread = 100 * prog.accuracy.loc['progressive 32->64'].agg(lambda a: a.max() - a.min())
    assert cost[0] < spread and f'the gap is smaller than the {spread:.1f} points between the progressive run' in text
