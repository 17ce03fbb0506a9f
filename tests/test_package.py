"The installed package, used the way a student's own project uses it (no notebooks involved)"
import os, importlib, pkgutil
from pathlib import Path
import pytest, torch
from fastai.vision.all import imagenet_stats
import chapter7
from chapter7.data import *
from chapter7.fast_data import cache_files, clear_cache

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=8, n_valid=4, n_classes=3)

def test_get_dls_batches(synth):
    dls = get_dls(6, 32, path=synth, seed=1, num_workers=0)
    x, y = dls.one_batch()
    assert x.shape == (6, 3, 32, 32) and x.dtype == torch.float32
    assert y.shape == (6,) and int(y.max()) < 3
    assert dls.vocab == ['tench', 'English springer', 'cassette player']
    assert (len(dls.train_ds), len(dls.valid_ds)) == (24, 12)

def test_normalize_switch(synth):
    on = batch_stats(get_dls(12, 32, path=synth, seed=1, num_workers=0))
    off = batch_stats(get_dls(12, 32, path=synth, seed=1, num_workers=0, normalize=False))
    assert len(on) == 4 and len(off) == 2
    mean, std = map(torch.tensor, imagenet_stats)
    expected = (torch.tensor(on.loc['mean before'].values) - mean) / std
    assert torch.allclose(torch.tensor(on.loc['mean after'].values), expected, atol=1e-4)
    assert torch.allclose(torch.tensor(off.loc['mean before'].values), torch.tensor(on.loc['mean before'].values), atol=1e-4)

@pytest.mark.parametrize('setting', ['parent', 'dataset'])
def test_data_setting(synth, monkeypatch, setting):
    monkeypatch.setenv('CHAPTER7_DATA', str(synth.parent if setting == 'parent' else synth))
    assert imagenette_path(160) == synth
    with pytest.raises(FileNotFoundError, match='imagenette2-320'): imagenette_path(320)

def test_bad_inputs(synth, tmp_path):
    with pytest.raises(FileNotFoundError, match='No such folder'): get_dls(8, 32, path=tmp_path/'typo')
    with pytest.raises(ValueError, match='must be positive'): get_dls(-8, 32, path=synth)
    with pytest.raises(ValueError, match='noise must be one of'): get_dls(8, 32, path=synth, noise=3)

@pytest.mark.skipif(not os.environ.get('CHAPTER7_DATA'), reason='CHAPTER7_DATA is not set: no local Imagenette')
def test_real_imagenette_is_complete():
    path = imagenette_path(160)
    files = imagenette_files(path)
    assert len(files) == 13394
    assert len({f.parent.name for f in files}) == 10

@pytest.mark.parametrize('name', [m.name for m in pkgutil.iter_modules(chapter7.__path__) if not m.name.startswith('_')])
def test_every_module_imports_and_exports(name):
    "Each module imports with the fastai at hand, and every name in its `__all__` exists"
    mod = importlib.import_module(f'chapter7.{name}')
    assert mod.__all__, name
    assert [n for n in mod.__all__ if not hasattr(mod, n)] == []

def test_fast_learner_predicts_and_exports(synth, tmp_path):
    "A learner on the fast path predicts new files as the stock pipeline does, and exports without the cached arrays"
    from torch import nn
    from fastai.vision.all import Learner, load_learner
    fast = get_dls(6, 32, path=synth, seed=1, fast=True, cache_dir=tmp_path/'cache', device='cpu')
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    learn, stock = Learner(fast, model), Learner(get_dls(6, 32, path=synth, seed=1, device='cpu'), model)
    fn = fast.stock.valid_ds.items[0]
    (label, _, probs), (label0, _, probs0) = learn.predict(fn), stock.predict(fn)
    assert label == label0 and torch.allclose(probs, probs0, atol=1e-6)
    learn.export(tmp_path/'fast.pkl')
    assert (tmp_path/'fast.pkl').stat().st_size < 2**20   # the cached squares alone are 36 x 160 x 160 x 3 bytes, 2.8 MB
    inf = load_learner(tmp_path/'fast.pkl')
    assert type(inf.dls).__name__ == 'DataLoaders' and torch.allclose(inf.predict(fn)[2], probs, atol=1e-6)

def test_clear_cache(synth, tmp_path):
    get_dls(6, 32, path=synth, fast=True, cache_dir=tmp_path, device='cpu')
    (tmp_path/'mine.txt').write_text('kept')
    mb = cache_files(tmp_path).MB.sum()
    assert mb > 2.7 and clear_cache(tmp_path) == pytest.approx(mb)
    assert [f.name for f in tmp_path.iterdir()] == ['mine.txt']

# Names that moved to the machinery modules, by the module a notebook, the README or a student's project imported them
# from before: each still imports from there.
MOVED = {
    'data': ['is_whole_number', 'DeviceReads', 'save_results', 'device_name', 'device_tag', 'presize_image', 'presize_strip',
             'cache_folder', 'presized_images', 'presized_strips', 'cache_files', 'clear_cache', 'CachedImage', 'LabelAt',
             'RandomSquares', 'NoSyncPipeline', 'CachedImageDL', 'presized_arrays', 'CachedDataLoaders', 'cached_dataloaders'],
    'normalization': ['reseed', 'check_precision', 'set_precision', 'seeded_learner'],
    'mixup': ['TrainThroughput', 'fit_and_score'],
    'bench': ['ARCHS', 'OPTIMIZERS', 'get_arch', 'warm_up', 'ForeachAdam', 'get_opt', 'RecordOnDevice', 'check_compile_mode',
              'CompileModel', 'parser_for', 'run_cli'],
    'train': ['train_once', 'train_runs', 'check_settings', 'parse_schedule', 'build_model', 'summarize'],
}

@pytest.mark.parametrize('module,name', [(m, n) for m, names in MOVED.items() for n in names])
def test_moved_names_still_import(module, name):
    obj = getattr(importlib.import_module(f'chapter7.{module}'), name)
    homes = [m.name for m in pkgutil.iter_modules(chapter7.__path__)
             if not m.name.startswith('_') and name in importlib.import_module(f'chapter7.{m.name}').__all__]
    assert len(homes) == 1, (name, homes)   # defined, and exported, in exactly one module
    assert obj is getattr(importlib.import_module(f'chapter7.{homes[0]}'), name)

def test_unknown_name_is_an_attribute_error():
    import chapter7.data
    with pytest.raises(AttributeError, match="has no attribute 'nope'"): chapter7.data.nope

def test_no_private_names_cross_modules():
    "No module imports another's private name: what is shared is public and documented"
    import re
    for fn in Path(chapter7.__file__).parent.glob('*.py'):
        for line in fn.read_text().splitlines():
            assert not re.match(r'\s*from \.\w* import .*\b_[a-zA-Z]', line), (fn.name, line)

def test_package_lines_fit():
    "At most 120 characters a line, but the first line of `__all__`, which nbdev wraps at 120 before prefixing `__all__ = `"
    long = [(fn.name, i + 1) for fn in Path(chapter7.__file__).parent.glob('*.py') if fn.name != '_modidx.py'
            for i, line in enumerate(fn.read_text().splitlines()) if len(line) > 120 and not line.startswith('__all__ = ')]
    assert long == []
