"The installed package, used the way a student's own project uses it (no notebooks involved)"
import os, importlib, pkgutil
from pathlib import Path
import pytest, torch
from fastai.vision.all import imagenet_stats
import chapter7
from chapter7.data import *

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
