"""The benchmark notebook's Results quote measured figures in its prose: each must match its file in results/bench"""
import json, itertools, inspect
import pytest
from pathlib import Path
import pandas as pd
ROOT = Path(__file__).resolve().parents[1]

def markdown(nb: str) -> str:
    cells = json.loads((ROOT / 'nbs' / 'machinery' / nb).read_text())['cells']
    return '\n'.join((''.join(c['source']) for c in cells if c['cell_type'] == 'markdown'))

def section(text: str, start: str) -> str:
    """`text` from the first occurrence of `start` on, for a table or a sentence that also appears earlier in another setting"""
    return text[text.index(start):]

def table_cells(text: str, first: str) -> list:
    """Rows of the markdown table in `text` whose header starts with `first`, each a list of its cells"""
    lines = text[text.index(f'| {first} |'):].splitlines()
    body = itertools.takewhile(lambda l: l.startswith('|'), lines[2:])
    return [[c.strip() for c in l.strip('|').split('|')] for l in body]

def table_rows(text: str, first: str) -> dict:
    """The same table as `table_cells`, as first column -> the other cells"""
    return {r[0]: r[1:] for r in table_cells(text, first)}

def bench_report() -> dict:
    return json.loads((ROOT / 'results/bench/cpu-xresnet18-64px-3ep.json').read_text())

def noise_runs() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/label_smoothing/cpu-xresnet18-64px-noise.csv')

def noise_seed_runs() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/label_smoothing/cpu-xresnet18-64px-noise-seeds.csv')

def mixup_runs() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/mixup/cpu-xresnet18-64px.csv')

def mixup_seed_runs() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/mixup/cpu-xresnet18-64px-5ep-seeds.csv')

def h100_bench() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json').read_text())

def h100_bench_tuned() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean-fast-tuned.json').read_text())

def h100_bench_seed0() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-seed0.csv')

def h100_parts() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h100-80gb-hbm3-time-parts-loops.json').read_text())

def h200_bench() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h200-xresnet50-128px-5ep.json').read_text())

def h200_parts() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h200-time-parts.json').read_text())

def h200_bs128() -> dict:
    return json.loads((ROOT / 'results/bench/nvidia-h200-xresnet50-128px-5ep-fast-tuned-bs128.json').read_text())
TRAIN_IMAGES = 9469

def epoch_seconds(run: dict, ms_per_batch: str) -> float:
    """Seconds an epoch of `run`'s full batches takes at its `ms_per_batch` figure (a `time_parts` record)"""
    return TRAIN_IMAGES // run['bs'] * run[ms_per_batch] / 1000

def mixup_by_seed(epochs: int, others: pd.DataFrame) -> pd.DataFrame:
    """Accuracy after `epochs` by seed: seed 42 from the first file, seeds 1 and 2 from `others`"""
    runs = pd.concat([mixup_runs().assign(seed=42), others]).query('epochs == @epochs')
    return runs.pivot(index='seed', columns='run', values='accuracy').loc[[42, 1, 2]]

def mixup_seed_accuracy() -> pd.DataFrame:
    return mixup_by_seed(5, mixup_seed_runs())

def noise_seed_accuracy() -> pd.DataFrame:
    """5-epoch accuracy by noise level and seed: seed 42 from the first file, seeds 1 and 2 from their own"""
    runs = pd.concat([noise_runs().assign(seed=42), noise_seed_runs()])
    return runs.pivot(index=['noise', 'seed'], columns='loss', values='accuracy')

def bench_seed_spread() -> float:
    """Points between the two seeds of the CPU benchmark's `fast` config (the std of two values is their gap over sqrt 2)"""
    fast = next((r for r in bench_report()['results'] if r['config'] == 'fast'))
    assert fast['runs'] == 2
    return 100 * fast['accuracy_std'] * 2 ** 0.5

def h200_by_config() -> dict:
    return {r['config']: r for r in h200_bench()['results']}

def test_bench_cpu_table():
    report = bench_report()
    text = section(markdown('06_bench.ipynb'), 'One run on a 2-core CPU')
    rows = table_rows(text, 'config')
    for r in report['results']:
        seconds, images, accuracy = rows[r['config']]
        assert seconds == f"{r['seconds']:.0f}" and images == f"{r['train_images_per_sec']:.0f}"
        assert accuracy == f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}"
    assert f"Cache build for all 13,394 images: {report['cache_build_seconds']:.1f} s" in text
    by_config = {r['config']: r for r in report['results']}

def five_epoch_seed_spreads() -> pd.Series:
    """Points between the best and worst of three seeds, for each 5-epoch CPU recipe run with three (04, 05 and 09)"""
    spread = lambda acc: 100 * (acc.max(axis=1) - acc.min(axis=1))
    mixup = mixup_seed_accuracy().T
    noise = noise_seed_accuracy().unstack('noise').T
    sizes = batch_size_accuracy().dropna().drop(index=64, level='bs')
    return pd.concat([spread(mixup), spread(noise), spread(sizes)])

def test_seed_yardstick():
    spreads = five_epoch_seed_spreads()
    assert len(spreads) == 2 + 6 + 2
    lo, hi = (spreads.min(), spreads.max())
    assert spreads.idxmin() == 'plain' and spreads.idxmax() == ('label smoothing ε=0.1', 50)
    assert lo < bench_seed_spread() < hi
    text = ' '.join(markdown('06_bench.ipynb').split())
    assert f'three seeds of each 5-epoch CPU recipe in these notebooks ended {lo:.1f} to {hi:.1f} points apart, depending on the recipe (plain training the least, `04_mixup`; label smoothing with half the labels wrong the most, `05_label_smoothing`)' in text
    assert f'The two seeds ended {bench_seed_spread():.1f} points apart' in text

def batch_size_runs() -> pd.DataFrame:
    return pd.read_csv(ROOT / 'results/bench/cpu-xresnet18-64px-5ep-batch-size.csv')

def batch_size_accuracy() -> pd.DataFrame:
    """Accuracy by (batch size, learning rate) and seed: 09's runs, and 04's plain 5-epoch runs at batch size 64 (the same recipe)"""
    at64 = mixup_seed_accuracy()['plain'].rename('accuracy').rename_axis('seed').reset_index().assign(bs=64, lr=0.003)
    return pd.concat([at64, batch_size_runs()]).pivot_table(index=['bs', 'lr'], columns='seed', values='accuracy')

def test_batch_size_cpu():
    runs, acc = (batch_size_runs(), batch_size_accuracy())
    assert (runs.epochs == 5).all() and set(runs.bs) == {128, 256}
    text = section(markdown('06_bench.ipynb'), '### Batch size and learning rate, on a CPU')
    rows = table_cells(text, 'batch size')
    assert len(rows) == len(acc) == 7
    for ((bs, lr), a), row in zip(acc.iterrows(), rows):
        assert row == [str(bs), f'{lr:.2g}'] + ['' if pd.isna(a[seed]) else f'{a[seed]:.4f}' for seed in (42, 1, 2)], (bs, lr)
    gap = 100 * (acc - acc.loc[64].iloc[0])
    flat, spread = (' '.join(text.split()), bench_seed_spread())
    steps = {bs: 5 * (TRAIN_IMAGES // bs) for bs in (64, 128, 256)}
    assert f'at 256 images an epoch of the {TRAIN_IMAGES:,} training images is {TRAIN_IMAGES // 256} optimizer steps instead of {TRAIN_IMAGES // 64}' in flat
    assert f'5 epochs are {steps[256]} steps instead of {steps[64]}' in flat and f'{steps[128]} steps' in flat
    h200 = h200_by_config()
    assert f"On the H200 it then ended {100 * (h200['stock']['accuracy'] - h200['fast-tuned']['accuracy']):.1f} points below `stock`" in flat
    assert h200['fast-tuned']['lr'] == 0.006 and "(the benchmark's default: 0.006 at 256)" in flat
    at256 = acc.loc[256]
    best = at256[42].idxmax()
    assert best == 0.012 and at256.loc[best].notna().all()
    lost_best = -gap.loc[256, best]
    assert f'None of the four learning rates made up for batch size 256. The best, {best:.2g} (in proportion to the batch size), ended {lost_best[42]:.1f} points below batch size 64 with seed 42, {lost_best[1]:.1f} with seed 1 and {lost_best[2]:.1f} with seed 2, {lost_best.mean():.1f} on average' in flat
    below_best = 100 * (at256.loc[best] - at256.loc[0.006]).dropna()
    assert list(below_best.index) == [1, 42]
    assert f"the benchmark's default, 0.006, ended {below_best[42]:.1f} and {below_best[1]:.1f} points below that with seeds 42 and 1" in flat
    assert at256.loc[0.024, 42] < at256.loc[0.006, 42]
    doubled = gap.loc[128, 0.006]
    assert doubled.notna().all()
    assert f'{doubled[42]:+.1f} points with seed 42, {doubled[1]:+.1f} with seed 1 and {doubled[2]:+.1f} with seed 2, {doubled.mean():+.1f} on average' in flat
    root2 = gap.loc[128].drop(0.006)
    assert len(root2) == 1 and f'{root2.iloc[0][42]:+.1f} with seed 42' in flat
    assert at256.max().max() < acc.drop(256).min().min()
    assert 'every run at batch size 256 ended below every run at 64 and 128' in flat
    assert (acc.count(axis=1) == 1).sum() == 3 and 'Three rows have one seed' in flat
    lr_spread = 100 * (acc.groupby(level='bs').max() - acc.groupby(level='bs').min())
    assert (lr_spread.fillna(0) < spread).all().all(), lr_spread
    assert f'at each batch size the learning rates ended closer together, seed for seed, than two seeds of one recipe did in the CPU benchmark above ({spread:.1f} points)' in flat
    assert f'{runs.seconds.min() / 60:.0f} to {runs.seconds.max() / 60:.0f} minutes a run on two cores' in flat
    lost = -gap.loc[256]

def test_bench_h200_table_and_prose():
    report, by = (h200_bench(), h200_by_config())
    assert report['device'] == 'NVIDIA H200' and report['seeds'] == 1 and ((report['arch'], report['size'], report['epochs']) == ('xresnet50', 128, 5))
    text = section(markdown('06_bench.ipynb'), '### One seed on an H200')
    rows = table_rows(text, 'config')
    for name, r in by.items():
        assert rows[name] == [f"{r['seconds']:.0f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"], name
    flat = ' '.join(text.split())
    assert f"Cache build for all 13,394 images: {report['cache_build_seconds']:.1f} s" in flat
    speed = by['fast']['train_images_per_sec'] / by['stock']['train_images_per_sec']
    assert abs(by['fast']['accuracy'] - by['stock']['accuracy']) < 0.005
    assert f'The fast path trained on {speed:.1f} times as many images per second as the stock pipeline, to the same accuracy' in flat
    tuned, lost = (by['fast-tuned'], 100 * (by['stock']['accuracy'] - by['fast-tuned']['accuracy']))
    assert lost > 0 and f"`fast-tuned` was {tuned['speedup']:.1f} times as fast as `stock` but {lost:.1f} points less accurate" in flat
    assert by['fast']['accuracy'] >= 0.74 and tuned['accuracy'] >= 0.7 and (speed > 1)
    assert f"`fast` reached {by['fast']['accuracy']:.4f}, `fast-tuned` {tuned['accuracy']:.4f}, and `fast` trained on {speed:.1f} times as many images per second" in ' '.join(markdown('06_bench.ipynb').split())

def test_bench_bs128_h200():
    report, by = (h200_bs128(), h200_by_config())
    assert report['device'] == 'NVIDIA H200' and report['seeds'] == 1 and ((report['arch'], report['size'], report['epochs']) == ('xresnet50', 128, 5))
    assert h200_bench()['seeds'] == 1
    [r] = report['results']
    assert (r['config'], r['bs'], r['lr'], r['precision'], r['opt'], r['record_on_device']) == ('fast-tuned', 128, 0.006, 'bf16', 'adam', False)
    text = section(markdown('06_bench.ipynb'), '### Batch size 128 on the GPU')
    assert 'python -m chapter7.bench --configs fast-tuned --tuned-bs 128 --tuned-lr 6e-3 --seeds 1 \\\n    --out results/bench/nvidia-h200-xresnet50-128px-5ep-fast-tuned-bs128.json' in text
    assert table_rows(text, 'config') == {'fast-tuned': [str(r['bs']), f"{r['lr']:.3f}", f"{r['warmup_seconds']:.1f}", f"{r['seconds']:.1f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"]}
    flat = ' '.join(text.split())
    above, below = (100 * (r['accuracy'] - by['fast-tuned']['accuracy']), 100 * (by['stock']['accuracy'] - r['accuracy']))
    assert above > 0 and below > 0
    assert f"Batch size 128 ended {above:.1f} point above batch size 256 ({by['fast-tuned']['accuracy']:.4f} in the H200 table of Results) but {below:.1f} points below `stock` ({by['stock']['accuracy']:.4f})" in flat
    cpu = 100 * (batch_size_accuracy().loc[128, 0.006] - batch_size_accuracy().loc[64].iloc[0]).mean()
    assert f'on the CPU, in fp32, it came within {-cpu:.1f} points on average' in flat
    spread = bench_seed_spread()
    assert spread < below < 1.5 * spread and f'larger than the {spread:.1f} points two seeds can differ by, but not by much' in flat
    assert f"warm-up, which took {r['warmup_seconds']:.1f} s, timed apart, so the {r['seconds']:.1f} s are training and validation alone" in flat

def test_time_parts_h200():
    parts, by = (h200_parts(), h200_by_config())
    text = section(markdown('06_bench.ipynb'), '### One seed on an H200')
    rows = table_rows(text, 'batch size, precision')
    for r in parts['runs']:
        name = f"{r['bs']}, {r['precision']}" + (', channels-last' if r['channels_last'] else '')
        assert rows[name] == [f"{r['data_images_per_sec']} ({r['data_ms_per_batch']})", f"{r['model_images_per_sec']} ({r['model_ms_per_step']})", f"{r['fit_first_epoch_seconds']}, {r['fit_second_epoch_seconds']}"], name
    small, big = parts['runs']
    assert (small['bs'], big['bs']) == (64, 256)
    flat = ' '.join(text.split())
    data, model = (round(epoch_seconds(small, 'data_ms_per_batch'), 1), round(epoch_seconds(small, 'model_ms_per_step'), 1))
    assert f"the {TRAIN_IMAGES // 64} training batches of an epoch take {data:.1f} s of data and {model:.1f} s of model steps, yet the second epoch of `fit` took {small['fit_second_epoch_seconds']:.1f} s: the other {small['fit_second_epoch_seconds'] - data - model:.1f} s" in flat
    assert abs(small['data_ms_per_batch'] - big['data_ms_per_batch']) < 0.2 * small['data_ms_per_batch']
    both = epoch_seconds(big, 'data_ms_per_batch') + epoch_seconds(big, 'model_ms_per_step')
    five = big['fit_first_epoch_seconds'] + 4 * big['fit_second_epoch_seconds']
    assert f"data and model steps make up {both:.1f} s of an epoch's {big['fit_second_epoch_seconds']:.1f}" in flat
    tuned = by['fast-tuned']['seconds']
    assert 1.8 < tuned / five < 2.2
    model5, quarter = (5 * epoch_seconds(small, 'model_ms_per_step'), by['stock']['seconds'] / 4)
    assert f"the model's steps alone take {epoch_seconds(small, 'model_ms_per_step'):.1f} s an epoch on this GPU (below), {model5:.1f} s for five, so running four times as fast as `stock` ({quarter:.0f} s) would leave under {quarter - model5:.0f} s" in flat
    assert quarter - model5 < round(quarter - model5)
    assert f"{big['fit_first_epoch_seconds']} + 4 × {big['fit_second_epoch_seconds']} = {five:.1f} s; the benchmark's `fast-tuned` run took {tuned:.1f} s, twice that" in flat
    first_extra = {r['bs']: r['fit_first_epoch_seconds'] - r['fit_second_epoch_seconds'] for r in (small, big)}
    assert f'its first `fit` epoch took {first_extra[256]:.1f} s longer than the second at batch size 256 ({first_extra[64]:.1f} s at 64)' in flat

def h100_by_config() -> dict:
    """The H100's three-seed results: `stock` and `fast` from the first command, `fast-tuned` from the second"""
    return {**{r['config']: r for r in h100_bench()['results']}, 'fast-tuned': h100_bench_tuned()['results'][0]}

def h100_seed0_rows() -> list:
    """The seed-0 runs 09 compares, in its table's order: (loop, run record)"""
    first, tuned, alone = (pd.DataFrame(h100_bench()['runs']), pd.DataFrame(h100_bench_tuned()['runs']), h100_bench_seed0())
    pick = lambda df, **kw: df[(df[list(kw)] == pd.Series(kw)).all(axis=1)].squeeze(axis=0)
    return [("fastai's", pick(first, config='stock', seed=0)), ("fastai's", pick(alone, config='fast', opt='adam')), ('leaner', pick(first, config='fast', seed=0)), ("fastai's", pick(alone, config='fast-tuned', opt='adam')), ('leaner', pick(tuned, config='fast-tuned', seed=0)), ('leaner', pick(alone, bs=128)), ('leaner', pick(alone, config='fast-tuned', bs=64))]

def precision_cell(r, config: str | None=None) -> str:
    """A table's batch size and precision cell; for reports from before `--channels-last`, which lack the field, `config` says it"""
    return f"{r['bs']}, {r['precision']}" + (', channels-last' if r.get('channels_last', config == 'fast-tuned') else '')

def test_bench_h100_table():
    """09's three-seed H100 table: both commands' reports, the table, and what it says of the targets"""
    first, second, by = (h100_bench(), h100_bench_tuned(), h100_by_config())
    for rep in (first, second):
        assert rep['device'] == 'NVIDIA H100 80GB HBM3'
        assert (rep['arch'], rep['size'], rep['epochs'], rep['seeds'], rep['opt'], rep['record_on_device']) == ('xresnet50', 128, 5, 3, 'foreach', True)
    assert first['complete'] is False and second['complete'] is True
    assert [(r['config'], r['seed']) for r in first['runs']] == [(c, s) for c in ('stock', 'fast') for s in range(3)] + [('fast-tuned', 0)]
    assert [(r['config'], r['seed']) for r in second['runs']] == [('fast-tuned', s) for s in range(3)]
    assert all((r['runs'] == 3 for r in by.values())) and by['stock']['opt'] == 'adam' and (by['fast']['opt'] == by['fast-tuned']['opt'] == 'foreach')
    text = section(markdown('06_bench.ipynb'), '### Three seeds on an H100')
    text = text[:text.index('### One seed on an H200')]
    for cmd in ('python -m chapter7.bench --seeds 3 --opt foreach --record-on-device \\\n    --out results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean.json', 'python -m chapter7.bench --configs fast-tuned --seeds 3 --opt foreach --record-on-device \\\n    --out results/bench/nvidia-h100-80gb-hbm3-xresnet50-128px-5ep-lean-fast-tuned.json'):
        assert cmd in text
    stock = by['stock']['seconds']
    assert table_rows(text, 'configuration') == {c: [precision_cell(r, c), f"{r['seconds']:.1f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}", f"{stock / r['seconds']:.1f}"] for c, r in by.items()}
    flat = ' '.join(text.split())
    assert len(first['runs']) == 7 and 'its report kept the seven runs that had finished' in flat
    assert f"Cache build for all 13,394 images: {first['cache_build_seconds']:.1f} s ({second['cache_build_seconds']:.1f} s in the second command). Warm-ups, timed apart: {by['stock']['warmup_seconds']:.1f} s for `stock`, {by['fast-tuned']['warmup_seconds']:.1f} s for `fast-tuned`" in flat
    assert by['fast']['warmup_seconds'] < 0.1
    fast, tuned = (by['fast'], by['fast-tuned'])
    gain = 100 * (fast['accuracy'] - by['stock']['accuracy'])
    assert 0 < gain < min(fast['accuracy_std'], by['stock']['accuracy_std']) * 100
    assert f'1.9 times as fast as `stock`, to the same accuracy** ({gain:.1f} points above it' in flat and f"{stock / fast['seconds']:.1f}" == '1.9'
    ms = h100_parts()['runs'][0]['model_ms_per_step']
    model5 = 5 * (TRAIN_IMAGES // 64) * ms / 1000
    assert f"Four times as fast ({stock / 4:.1f} s) is out of reach on this GPU in the memory layout timed: the model's steps alone take {ms:.1f} ms each at this batch size in fp32 (`time_parts`, below), {model5:.1f} s for the 5 × {TRAIN_IMAGES // 64} steps of five epochs, which would leave {stock / 4 - model5:.1f} s" in flat
    lost = 100 * (by['stock']['accuracy'] - tuned['accuracy'])
    assert f"a 5-epoch experiment in {tuned['seconds']:.1f} s, {stock / tuned['seconds']:.1f} times as fast as `stock`, but {lost:.1f} points less accurate.** Neither half" in flat and tuned['seconds'] > 8 and (lost > 1)
    assert f"**The cache build: {first['cache_build_seconds']:.1f} s, under the 30 s" in flat and max(first['cache_build_seconds'], second['cache_build_seconds']) < 30

def test_bench_h100_loops():
    """09's seed-0 H100 table (fastai's loop against the leaner one, two more batch sizes), the parts of an epoch, and the prose on them"""
    rows = h100_seed0_rows()
    assert [r['seed'] for _, r in rows] == [0] * 7
    assert [(loop, r['opt'], bool(r['record_on_device'])) for loop, r in rows] == [(loop, 'adam', False) if loop == "fastai's" else (loop, 'foreach', True) for loop, _ in rows]
    text = section(markdown('06_bench.ipynb'), '### Three seeds on an H100')
    text = text[:text.index('### One seed on an H200')]
    assert table_cells(text, 'configuration, seed 0') == [[r['config'], precision_cell(r, r['config']), loop, f"{r['seconds']:.1f}", f"{r['train_images_per_sec']:.0f}", f"{r['accuracy']:.4f}"] for loop, r in rows]
    (_, stock), (_, fast_fastai), (_, fast_lean), (_, tuned_fastai), (_, tuned_lean), (_, bs128), (_, bs64) = rows
    assert fast_fastai['seconds'] > 0.95 * stock['seconds'] and fast_fastai['train_images_per_sec'] < stock['train_images_per_sec']
    assert fast_lean['seconds'] < 0.6 * fast_fastai['seconds'] and tuned_lean['seconds'] < tuned_fastai['seconds']
    small, big = h100_parts()['runs']
    assert (small['bs'], small['precision'], big['bs'], big['precision'], big['channels_last']) == (64, 'fp32', 256, 'bf16', True)
    assert table_rows(section(text, 'The parts of an epoch, timed by'), 'batch size, precision') == {precision_cell(p): [f"{p['data_ms_per_batch']:.1f}", f"{p['model_ms_per_step']:.1f}", f"{p['adam_ms_per_step']:.1f}, {p['foreach_adam_ms_per_step']:.1f}", f"{p['fit_first_epoch_seconds']:.1f}, {p['fit_second_epoch_seconds']:.1f}", f"{p['fit_foreach_on_device_first_epoch_seconds']:.1f}, {p['fit_foreach_on_device_second_epoch_seconds']:.1f}"] for p in (small, big)}
    flat = ' '.join(text.split())
    assert 0.6 < small['adam_ms_per_step'] / small['model_ms_per_step'] < 0.7
    assert f"{small['adam_ms_per_step']:.1f} ms a step at batch size 64, two thirds of the time the model's step takes; `ForeachAdam` takes {small['foreach_adam_ms_per_step']:.1f}. With it and `RecordOnDevice`, the second epoch at batch size 64 took {small['fit_foreach_on_device_second_epoch_seconds']:.1f} s instead of {small['fit_second_epoch_seconds']:.1f}" in flat
    assert f"The benchmark's run with fastai's loop took {fast_fastai['seconds']:.1f} s, more than five of those {small['fit_second_epoch_seconds']:.1f} s epochs ({5 * small['fit_second_epoch_seconds']:.0f} s)" in flat
    assert f"the same configuration, seed 0 with fastai's loop, took {h200_by_config()['fast']['seconds']:.0f} s" in flat and h200_bench()['seeds'] == 1
    below128 = 100 * (stock['accuracy'] - bs128['accuracy'])
    assert bs128['lr'] == 0.006 and h200_bs128()['results'][0]['accuracy'] < h200_by_config()['stock']['accuracy']
    assert f"took {bs128['seconds']:.1f} s and ended {below128:.1f} points below `stock` with the same seed, as on the H200" in flat
    assert bs64['accuracy'] >= stock['accuracy'] and bs64['seconds'] > fast_lean['seconds']
    assert f"kept the accuracy but took {bs64['seconds']:.1f} s" in flat and f"faster than fp32 ({fast_lean['seconds']:.1f} s)" in flat
    timed = [(r['precision'], r['channels_last']) for parts in (h100_parts(), h200_parts()) for r in parts['runs']]
    assert ('fp32', True) not in timed and 'channels-last in fp32, which `time_parts` has not timed' in flat
    from chapter7.bench import main
    assert '(`--channels-last` trains `fast` so)' in flat and 'channels_last' in inspect.signature(main).parameters
    assert "A third was found after these runs: the fast path's training batches still made the CPU wait for the GPU twice each, in fastai's warp" in flat and 'what that changes on the GPU is for the next run to measure' in flat
    compiled = [f.name for f in (ROOT / 'results/bench').glob('*.json') if '"compile": true' in f.read_text()]
    assert not compiled and 'compile' in inspect.signature(main).parameters
    assert 'which `--compile` now asks for (`CompileModel` compiles the model with `torch.compile`; no GPU run has timed it)' in flat
    assert "`--compile --compile-mode reduce-overhead --opt foreach` more so, asking PyTorch to launch each of the model's graphs as one CUDA graph (untimed too)" in flat and 'compile_mode' in inspect.signature(main).parameters
    nb = ' '.join((markdown('06_bench.ipynb') + ' ' + markdown('03_fast_train.ipynb')).split())
    assert f"On an H100, at batch size 64, fastai's `Adam` took {small['adam_ms_per_step']:.1f} ms a step and `ForeachAdam` {small['foreach_adam_ms_per_step']:.1f} (Results)" in nb
    assert f"`fast` trained on fewer images per second than `stock` ({fast_fastai['train_images_per_sec']:.0f} against {stock['train_images_per_sec']:.0f}, seed 0" in nb
    assert f"on the H100 it trained on {fast_lean['train_images_per_sec']:.0f} against {stock['train_images_per_sec']:.0f} (seed 0, Results)" in nb
