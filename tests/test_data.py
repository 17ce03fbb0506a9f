"`chapter7.data` on odd and broken inputs: the checks behind the short examples of `00_data`"
import os, shutil
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from PIL import Image
from fastai.vision.all import imagenet_stats, Normalize, modified_env
import chapter7.data as data
from chapter7.data import *
from chapter7.core import is_whole_number

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    "Ten classes, 20 training and 5 validation images each, as the notebook makes it"
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'synth', n_train=20, n_valid=5)

@pytest.fixture(scope='module')
def files(synth): return imagenette_files(synth)

@pytest.fixture
def copy(synth, tmp_path):
    "A copy of the synthetic set to break"
    return Path(shutil.copytree(synth, tmp_path/'copy'))

# Finding the data

def test_data_setting_without_the_folder(tmp_path):
    with modified_env(CHAPTER7_DATA=str(tmp_path)):
        with pytest.raises(FileNotFoundError, match='does not hold a folder'): imagenette_path()
        assert try_imagenette() is None

def test_unknown_size():
    with pytest.raises(ValueError, match="sizes 160, 320 and 'full'"): imagenette_path(224)

def test_offline_download(monkeypatch, capsys):
    "Without the setting and without a network: one clear error, and `try_imagenette` says the real-data cells are skipped"
    def offline(url): raise OSError('no network')
    monkeypatch.delenv('CHAPTER7_DATA', raising=False)
    monkeypatch.setattr(data, 'untar_data', offline)
    with pytest.raises(DataUnavailable, match='Offline?'): imagenette_path()
    assert try_imagenette() is None and 'Real-data cells skipped' in capsys.readouterr().out

def test_class_name():
    assert class_name('n03028079') == 'church' and class_name('cats') == 'cats'

# The synthetic Imagenette

def test_synthetic_layout(synth, files):
    df = pd.read_csv(synth/'noisy_imagenette.csv')
    assert list(df.columns) == ['path', 'noisy_labels_0', 'noisy_labels_1', 'noisy_labels_5', 'noisy_labels_25',
                                'noisy_labels_50', 'is_valid']
    assert len(df) == 10*25 and df.is_valid.sum() == 50
    assert sorted(p.name for p in (synth/'train').iterdir()) == sorted(IMAGENETTE_CLASSES)
    assert sorted(df.path) == sorted(f.relative_to(synth).as_posix() for f in files)

def test_synthetic_noise_only_in_training_labels(synth):
    df = pd.read_csv(synth/'noisy_imagenette.csv')
    trn, val = df[~df.is_valid], df[df.is_valid]
    for pct in NOISE_LEVELS:
        assert (trn[f'noisy_labels_{pct}'] != trn.noisy_labels_0).mean() == pytest.approx(pct/100, abs=0.01)
    assert (val.noisy_labels_50 != val.noisy_labels_0).sum() == 0

def test_synthetic_is_repeatable_and_mixed(synth, tmp_path):
    again = make_synthetic_imagenette(tmp_path/'again', n_train=20, n_valid=5)
    fn = 'train/n01440764/n01440764_3.JPEG'
    assert (synth/fn).read_bytes() == (again/fn).read_bytes()
    pd.testing.assert_frame_equal(pd.read_csv(again/'noisy_imagenette.csv'), pd.read_csv(synth/'noisy_imagenette.csv'))
    ims = [Image.open(f) for f in imagenette_files(again)]
    assert min(min(im.size) for im in ims) == 160
    assert {im.mode for im in ims} == {'RGB', 'L'}
    assert {im.size[0] > im.size[1] for im in ims} == {True, False}   # landscape and portrait

def test_synthetic_never_replaces_a_users_folder(tmp_path):
    mine = tmp_path/'mine'; mine.mkdir(); (mine/'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='was not made by make_synthetic_imagenette'):
        make_synthetic_imagenette(mine, n_classes=2)
    assert (mine/'notes.txt').read_text() == 'mine'

def test_synthetic_bad_arguments_leave_an_earlier_set(tmp_path):
    made = make_synthetic_imagenette(tmp_path/'s', n_train=2, n_valid=1, n_classes=2, size=16)
    for kwargs, msg in [(dict(size=0), 'size must be at least 1'), (dict(n_classes=1), 'n_classes must be 2..10'),
                        (dict(n_classes=11), 'n_classes must be 2..10'), (dict(n_valid=0), 'must be at least 1')]:
        with pytest.raises(ValueError, match=msg): make_synthetic_imagenette(made, **kwargs)
    assert len(pd.read_csv(made/'noisy_imagenette.csv')) == 2*3   # as it was
    make_synthetic_imagenette(made, n_train=3, n_valid=1, n_classes=2, size=16)   # a set it made is replaced
    assert len(pd.read_csv(made/'noisy_imagenette.csv')) == 2*4

# Checking a dataset folder

def test_imagenette_files(files): assert len(files) == 250

def test_broken_folders(synth, tmp_path):
    bad = tmp_path/'bad'
    with pytest.raises(FileNotFoundError, match='No such folder'): imagenette_files(bad)
    (bad/'train').mkdir(parents=True)
    with pytest.raises(ValueError, match='has no images'): imagenette_files(bad)
    with pytest.raises(NotADirectoryError, match='Not a folder'): imagenette_files(synth/'noisy_imagenette.csv')
    shutil.copy(synth/'train/n01440764/n01440764_0.JPEG', bad/'train/x.JPEG')
    with pytest.raises(ValueError, match='not in class subfolders'): imagenette_files(bad)
    (bad/'train/tench').mkdir(); shutil.move(bad/'train/x.JPEG', bad/'train/tench/x.JPEG')
    with pytest.raises(ValueError, match='at least two'): imagenette_files(bad)
    (bad/'train/church').mkdir(); shutil.copy(bad/'train/tench/x.JPEG', bad/'train/church/y.JPEG')
    with pytest.raises(FileNotFoundError, match="has no 'val' folder"): imagenette_files(bad)

def test_stray_images(copy):
    shutil.copy(copy/'train/n01440764/n01440764_0.JPEG', copy/'train/x.JPEG')   # beside the class folders
    with pytest.raises(ValueError, match='1 images are not in a class folder, e.g. '): imagenette_files(copy)
    (copy/'train/n01440764/more').mkdir()
    (copy/'train/x.JPEG').rename(copy/'train/n01440764/more/x.JPEG')   # below one
    with pytest.raises(ValueError, match=r'more/x\.JPEG; expected'): imagenette_files(copy)

def test_home_folder(synth, files, copy):
    with modified_env(HOME=str(copy.parent)):
        assert sorted(imagenette_files('~/copy')) == sorted(copy/f.relative_to(synth) for f in files)

# Images that can't be read

def test_open_image(files, tmp_path):
    gray = next(f for f in files if Image.open(f).mode == 'L')
    assert open_image(gray).mode == 'RGB'
    broken = tmp_path/'broken.JPEG'
    broken.write_bytes(files[0].read_bytes()[:300])
    with pytest.raises(ValueError, match=f'Cannot read image {broken}'): open_image(broken)
    (tmp_path/'notes.JPEG').write_text('not an image')
    with pytest.raises(ValueError, match='Cannot read image'): open_image(tmp_path/'notes.JPEG')

def test_corrupt_image_named(tmp_path):
    "A corrupt image is named, whether found up front with `verify=True` or met by a worker process"
    corrupt = make_synthetic_imagenette(tmp_path/'corrupt', n_train=4, n_valid=2, n_classes=2)
    victim = corrupt/'train/n01440764/n01440764_1.JPEG'
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(ValueError, match='1 unreadable images'): get_dls(4, 32, path=corrupt, verify=True)
    dl = get_dls(8, 32, path=corrupt, num_workers=2).train
    with pytest.raises(Exception, match='Cannot read image'): [b for b in dl]

# Labels, clean and noisy

def test_labeller(synth, files):
    assert ImagenetteLabeller(synth)(files[0]) == class_name(files[0].parent.name)
    lbl25, trn = ImagenetteLabeller(synth, noise=25), [f for f in files if f.parent.parent.name == 'train']
    assert np.mean([lbl25(f) != class_name(f.parent.name) for f in trn]) == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match='noise must be one of'): ImagenetteLabeller(synth, noise=10)

def test_labeller_needs_the_csv(copy):
    (copy/'noisy_imagenette.csv').unlink()
    with pytest.raises(FileNotFoundError, match='Noisy labels need'): ImagenetteLabeller(copy, noise=5)

def test_labeller_check_unlisted(copy):
    extra = copy/'train/n01440764/extra.JPEG'
    shutil.copy(copy/'train/n01440764/n01440764_0.JPEG', extra)
    with pytest.raises(ValueError, match='1 images are not listed in noisy_imagenette.csv'):
        ImagenetteLabeller(copy, noise=5).check(imagenette_files(copy))

@pytest.mark.parametrize('bad', [5.0, True, '5', 10, None])
def test_check_noise(bad):
    if bad is None: assert check_noise(None) is None; return
    with pytest.raises(ValueError, match='noise must be one of'): check_noise(bad)   # equal to a level, not one

def test_whole_numbers():
    assert [is_whole_number(v) for v in (3, np.int64(3), 3.0, True, '3')] == [True, True, False, False, False]
    assert check_noise(np.int64(25)) == 25

# Arguments and subsets

def test_check_per_class_and_min_scale():
    assert check_per_class(None) is None and check_per_class(np.int64(3)) == 3
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match='per_class must be'): check_per_class(bad)
    assert check_min_scale(1) == 1
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match='min_scale is the smallest share'): check_min_scale(bad)

def test_check_sizes():
    assert check_sizes(np.int64(16), np.int64(64), np.int64(160)) == (16, 64, 160)
    assert all(type(v) is int for v in check_sizes(np.int64(16), np.int64(64), np.int64(160)))
    assert check_sizes(8, 2) == (8, 2, None)

def test_subset_files(files):
    sub = subset_files(files, 'tench church'.split(), per_class=3, seed=0)
    assert len(sub) == 12 and {class_name(f.parent.name) for f in sub} == {'tench', 'church'}
    assert sub == subset_files(files, ['n01440764', 'n03028079'], per_class=3, seed=0)   # ids or names
    assert sub != subset_files(files, ['tench', 'church'], per_class=3, seed=1)
    assert subset_files(files, None, None, 0) == files

# get_dls

def test_get_dls(synth):
    dls = get_dls(16, 64, path=synth, seed=42)
    xb, yb = dls.one_batch()
    assert xb.shape == (16, 3, 64, 64) and yb.shape == (16,)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (200, 50)
    assert dls.vocab == [class_name(w) for w in sorted(IMAGENETTE_CLASSES)]
    assert dls.vocab[:3] == ['tench', 'English springer', 'cassette player']

def test_get_dls_repeats_with_a_seed(synth):
    "The seed makes batches repeat, augmentation included; NumPy integers (e.g. from `np.arange`) work as ints do"
    xb = get_dls(16, 64, path=synth, seed=42).one_batch()[0]
    assert torch.equal(get_dls(16, 64, path=synth, seed=42).one_batch()[0], xb)
    again = get_dls(np.int64(16), np.int64(64), path=synth, seed=42, presize=np.int64(160)).one_batch()[0]
    assert torch.equal(again, xb)

def test_get_dls_subset(synth):
    small = get_dls(4, 32, path=synth, classes=['tench', 'church'], per_class=3, seed=0)
    assert small.vocab == ['tench', 'church']
    assert (len(small.train_ds), len(small.valid_ds)) == (6, 6)

def test_get_dls_noisy_labels(synth):
    noisy = get_dls(8, 32, path=synth, noise=50, seed=0)
    def labels_vs_truth(ds): return [ds.vocab[int(t)] for t in ds.tls[1]], [class_name(f.parent.name) for f in ds.items]
    ys, truth = labels_vs_truth(noisy.train_ds)
    assert np.mean(np.array(ys) != np.array(truth)) == pytest.approx(0.5, abs=0.01)
    ys, truth = labels_vs_truth(noisy.valid_ds)
    assert ys == truth

def test_get_dls_smallest_size(synth):
    assert get_dls(8, 2, path=synth, num_workers=0).one_batch()[0].shape == (8, 3, 2, 2)

@pytest.mark.parametrize('args, kwargs, msg', [
    ((0, 64), {}, 'bs and size must be positive'),
    ((8, -1), {}, 'bs and size must be positive'),
    ((4.5, 64), {}, 'bs and size must be positive whole numbers'),
    ((True, 64), {}, 'bs and size must be positive whole numbers'),
    (('8', 64), {}, 'bs and size must be positive whole numbers'),
    ((8, 32.5), {}, 'bs and size must be positive whole numbers'),
    ((8, 1), {}, 'size must be at least 2 pixels'),
    ((8, 64), dict(presize=0), 'presize must be a positive whole number'),
    ((8, 64), dict(noise=7), 'noise must be one of'),
    ((8, 64), dict(classes=['tench']), 'at least two'),
    ((8, 64), dict(classes='tench'), 'at least two'),   # one class as a plain string
    ((8, 64), dict(classes=['tench', 'church'], noise=50), 'noisy labels name classes left out'),
    ((8, 64), dict(classes=['unicorn', 'tench']), 'Unknown classes'),
    ((201, 32), {}, 'bs=201 is more than the 200 training images'),
])
def test_get_dls_bad_arguments(synth, args, kwargs, msg):
    with pytest.raises(ValueError, match=msg.replace('(', r'\(')): get_dls(*args, path=synth, **kwargs)

def test_get_dls_checks_before_reading(tmp_path):
    "Arguments are checked before the folder is read"
    with pytest.raises(FileNotFoundError, match='No such folder'): get_dls(8, 64, path=tmp_path/'nowhere')
    with pytest.raises(ValueError, match='min_scale is the smallest share'): get_dls(8, 64, path=tmp_path/'nowhere', min_scale=0)
    with pytest.raises(ValueError, match='per_class must be'): get_dls(8, 64, path=tmp_path/'nowhere', per_class=0)

def test_get_dls_class_missing_from_val(copy):
    shutil.rmtree(copy/'val'/'n01440764')   # no tench to validate on
    with pytest.raises(ValueError, match=r"No validation images for classes \['tench'\]: pick"):
        get_dls(8, 64, path=copy, classes=['tench', 'church'])
    with pytest.raises(ValueError, match=r"No validation images for classes \['tench'\]: every class needs"):
        get_dls(8, 64, path=copy)

# Batch statistics

def test_channel_stats():
    x = torch.rand(4, 3, 8, 8)
    m, s = channel_stats(x)
    assert torch.allclose(m, x.transpose(0, 1).reshape(3, -1).mean(1)) and s.shape == (3,)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'): channel_stats(x[0])

def test_batch_stats(synth):
    dls = get_dls(16, 64, path=synth, seed=42)
    st = batch_stats(dls)
    assert list(st.index) == ['mean before', 'std before', 'mean after', 'std after']
    expected = (st.loc['mean before'].values - np.array(imagenet_stats[0])) / np.array(imagenet_stats[1])
    np.testing.assert_allclose(st.loc['mean after'].values, expected, atol=1e-4)
    raw = batch_stats(get_dls(16, 64, path=synth, normalize=False, seed=42))   # without `Normalize`: one row pair,
    assert len(raw) == 2                                                       # equal to the normalized batch decoded
    np.testing.assert_allclose(raw.loc['mean before'].values, st.loc['mean before'].values, atol=1e-4)

@pytest.mark.skipif(not os.environ.get('CHAPTER7_DATA'), reason='CHAPTER7_DATA is not set: no local Imagenette')
def test_real_batch_stats():
    """The chapter's figures on imagenette2-160, over eight batches: before `Normalize` a mean near (0.48, 0.47, 0.45)
    and std near 0.29, after it a mean near 0 and a std above 1. A batch's std pools every pixel of every image, so it
    also counts how images differ from one another; ImageNet's std is close to the spread *within* an image"""
    import itertools
    real = get_dls(64, 128, path=imagenette_path(160), seed=42)
    batches = list(itertools.islice(real.train, 8))
    stats = sum(batch_stats(real, b) for b in batches) / 8
    np.testing.assert_allclose(stats.loc['mean before'].values, [0.48, 0.47, 0.45], atol=0.05)
    assert stats.loc['std before'].between(0.25, 0.33).all(), stats
    np.testing.assert_allclose(stats.loc['mean after'].values, [0, 0, 0], atol=0.25)
    assert stats.loc['std after'].between(1.0, 1.4).all(), stats
    norm = next(t for t in real.after_batch.fs if isinstance(t, Normalize))
    raws = [norm.decode(b[0]) for b in batches]
    within = sum(r.std(dim=[2, 3]).mean(0) for r in raws).cpu() / 8   # each image's own std, averaged
    pooled = sum(r.std(dim=[0, 2, 3]) for r in raws).cpu() / 8        # every pixel of every image
    np.testing.assert_allclose(within, imagenet_stats[1], atol=0.02)
    assert (pooled > within + 0.03).all(), (within, pooled)

# Names that moved

def test_moved_names_still_import():
    from chapter7.data import presize_image, is_whole_number as moved
    from chapter7.fast_data import presize_image as there
    assert presize_image is there and moved is is_whole_number
    with pytest.raises(AttributeError, match='has no attribute'): data.no_such_name
