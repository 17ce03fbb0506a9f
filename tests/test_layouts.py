"""`get_dls` and `labelled_files` on the folder layouts students have: split folders with other names, a random split,
labels from file names or a CSV, any number of classes; and the errors that name what is wrong"""
import shutil
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image
from chapter7.data import (make_synthetic_imagenette, imagenette_files, class_name, get_dls, labelled_files,
                           UnreadableImage, read_labels_csv, find_valid_folder, subset_items)

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'synth', n_train=8, n_valid=2, n_classes=3,
                                     size=40)

def relayout(synth, dest, place):
    "Copy each image of `synth` to `dest/place(split, class name, a file name of its own)`; returns `dest`"
    for i, f in enumerate(imagenette_files(synth)):
        to = dest/place(f.parent.parent.name, class_name(f.parent.name), f'{i}{f.suffix}')
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, to)
    return dest

def test_valid_folder_found_by_name(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{'valid' if s == 'val' else s}/{c}/{f}")
    test = find_valid_folder(own)
    assert test == 'valid'
    dls = get_dls(4, 32, path=own, seed=0, num_workers=0)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (24, 6)
    assert dls.vocab == ['English springer', 'cassette player', 'tench']   # sorted folder names

def test_valid_folder_named(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{'holdout' if s == 'val' else s}/{c}/{f}")
    with pytest.raises(ValueError, match=r"no validation folder \(its folders: \['holdout/', 'train/'\]\).*valid_pct"):
        get_dls(4, 32, path=own)
    assert len(get_dls(4, 32, path=own, valid_name='holdout', num_workers=0).valid_ds) == 6
    with pytest.raises(FileNotFoundError, match="no 'nope' folder.*holdout/"): get_dls(4, 32, path=own, valid_name='nope')

def test_two_validation_folders_are_ambiguous(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{s}/{c}/{f}")
    shutil.copytree(own/'val', own/'valid')
    with pytest.raises(ValueError, match=r"several validation folders \['valid', 'val'\]: pick one with valid_name"):
        get_dls(4, 32, path=own)
    assert len(get_dls(4, 32, path=own, valid_name='valid', num_workers=0).valid_ds) == 6

def test_random_split_repeats_with_the_seed(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{c}/{f}")
    a, b = labelled_files(own, valid_pct=0.25, seed=1), labelled_files(own, valid_pct=0.25, seed=1)
    assert list(a.is_valid) == list(b.is_valid) and a.is_valid.sum() == 7   # a quarter of 30, rounded down
    assert list(a.is_valid) != list(labelled_files(own, valid_pct=0.25, seed=2).is_valid)
    dls = get_dls(4, 32, path=own, valid_pct=0.25, seed=1, num_workers=0)
    assert len(dls.valid_ds) == 7 and sorted(dls.vocab) == ['English springer', 'cassette player', 'tench']

def test_random_split_on_the_fast_path(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{c}/{f}")
    dls = get_dls(4, 32, path=own, valid_pct=0.25, seed=1, fast=True, cache_dir=tmp_path/'cache', device='cpu')
    stock = get_dls(4, 32, path=own, valid_pct=0.25, seed=1, num_workers=0)
    assert len(dls.valid_ds) == len(stock.valid_ds) == 7 and dls.vocab == stock.vocab

def test_no_split_says_how_to_make_one(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{c}/{f}")
    with pytest.raises(ValueError, match=r"no validation folder \(its folders: \['English springer/'.*valid_pct=0.2"):
        get_dls(4, 32, path=own)

def test_bad_valid_pct(synth):
    for bad in (0, 1, -0.1, 1.5, float('nan'), '0.2'):
        with pytest.raises(ValueError, match='valid_pct is the share'): get_dls(4, 32, path=synth, valid_pct=bad)

def test_labels_from_file_names(synth, tmp_path):
    "The book's pets: every image in one folder, the class in its name"
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"images/{c.replace(' ', '_')}_{Path(f).stem}.jpg")
    dls = get_dls(4, 32, path=own, label_pat=r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=0, num_workers=0)
    assert sorted(dls.vocab) == ['English_springer', 'cassette_player', 'tench']
    x, y = dls.valid_ds[0]
    assert dls.vocab[y] == dls.valid_ds.items[0].name.rsplit('_', 1)[0]
    with pytest.raises(ValueError, match=r"label_pat '\^\(\.\+\)-\(\\\\d\+\)' finds no label .* in 30 file names"):
        get_dls(4, 32, path=own, label_pat=r'^(.+)-(\d+)', valid_pct=0.2)

def write_csv(own, rows, name='labels.csv'):
    pd.DataFrame(rows, columns=['name', 'kind', 'valid']).to_csv(own/name, index=False)
    return own/name

@pytest.fixture
def csv_own(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"pics/{f}")
    rows = [(f"pics/{i}{f.suffix}", class_name(f.parent.name), f.parent.parent.name == 'val')
            for i, f in enumerate(imagenette_files(synth))]
    return own, rows

def test_labels_from_a_csv(csv_own):
    own, rows = csv_own
    write_csv(own, rows)
    dls = get_dls(4, 32, path=own, labels_csv='labels.csv', fn_col='name', label_col='kind', valid_col='valid',
                  num_workers=0)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (24, 6)
    assert dls.vocab == ['English springer', 'cassette player', 'tench']   # sorted labels
    dls = get_dls(4, 32, path=own, labels_csv='labels.csv', valid_pct=0.5, seed=0, num_workers=0)   # by position
    assert len(dls.valid_ds) == 15
    fast = get_dls(4, 32, path=own, labels_csv='labels.csv', valid_pct=0.5, seed=0, fast=True, device='cpu',
                   cache_dir=own.parent/'cache')
    assert len(fast.valid_ds) == 15 and fast.vocab == dls.vocab

def test_csv_errors_name_file_row_and_column(csv_own):
    own, rows = csv_own
    kw = dict(path=own, labels_csv='labels.csv', fn_col='name', label_col='kind', valid_col='valid')
    write_csv(own, rows)
    with pytest.raises(ValueError, match=r"labels.csv has no column 'label' \(label_col\); its columns: \['name', 'kind'"):
        get_dls(4, 32, **{**kw, 'label_col': 'label'})
    write_csv(own, [rows[0], (rows[1][0], '', False), *rows[2:]])
    with pytest.raises(ValueError, match=r"labels.csv, row 3, column 'kind': empty"): get_dls(4, 32, **kw)
    write_csv(own, [*rows[:4], (rows[4][0], 'tench', 'maybe'), *rows[5:]])
    with pytest.raises(ValueError, match=r"row 6, column 'valid': 'maybe' is not true or false"): get_dls(4, 32, **kw)
    write_csv(own, [*rows, rows[0]])
    with pytest.raises(ValueError, match=rf"row {len(rows) + 2}, column 'name': pics/\S+ is listed twice"):
        get_dls(4, 32, **kw)
    write_csv(own, [*rows, ('pics/gone.jpg', 'tench', False)])
    with pytest.raises(FileNotFoundError, match=rf"labels.csv, row {len(rows) + 2}: no such image .*gone.jpg"):
        get_dls(4, 32, **kw)
    (own/'labels.csv').write_bytes(b'\xff\xfe\x00garbage\x00"unclosed\n')
    with pytest.raises(ValueError, match='labels.csv is not a readable CSV'): get_dls(4, 32, **kw)
    with pytest.raises(FileNotFoundError, match='No such labels file: .*nothere.csv'):
        get_dls(4, 32, **{**kw, 'labels_csv': 'nothere.csv'})

def test_malformed_noisy_labels_are_named(synth, tmp_path):
    copy = Path(shutil.copytree(synth, tmp_path/'copy'))
    csv = copy/'noisy_imagenette.csv'
    df = pd.read_csv(csv)
    df.drop(columns='noisy_labels_25').to_csv(csv, index=False)
    with pytest.raises(ValueError, match=r"noisy_imagenette.csv has no column 'noisy_labels_25' \(label_col\)"):
        get_dls(4, 32, path=copy, noise=25)
    lines = (copy/'noisy_imagenette.csv').read_text().splitlines()
    pd.read_csv(synth/'noisy_imagenette.csv').to_csv(csv, index=False)
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].split(',')[0]   # a row cut short
    csv.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=r"noisy_imagenette.csv, row 4, column 'noisy_labels_25': empty"):
        get_dls(4, 32, path=copy, noise=25)

def test_one_class_is_not_a_classifier(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{s}/all/{f}")
    with pytest.raises(ValueError, match=r"has 1 class \['all'\]: a classifier needs at least two"):
        get_dls(4, 32, path=own)

def test_loose_images_and_empty_folders(synth, tmp_path):
    own = relayout(synth, tmp_path/'own', lambda s, c, f: f"{f}")
    with pytest.raises(ValueError, match='30 images are not in a class folder.*label_pat= or labels_csv='):
        get_dls(4, 32, path=own, valid_pct=0.2)
    (tmp_path/'empty').mkdir()
    with pytest.raises(ValueError, match='has no images'): get_dls(4, 32, path=tmp_path/'empty', valid_pct=0.2)
    with pytest.raises(FileNotFoundError, match='No such folder'): get_dls(4, 32, path=tmp_path/'nowhere')

def test_many_classes_and_odd_images(tmp_path):
    "37 classes as in the pets; grayscale, RGBA and non-square images of several sizes"
    rng = np.random.default_rng(0)
    shapes = [(30, 50, 3), (64, 40, 4), (45, 45), (20, 70, 3)]   # RGB, RGBA, grayscale; none square but one
    for k in range(37):
        for i, shape in enumerate(shapes):
            folder = tmp_path/'own'/('valid' if i == 3 else 'train')/f'class{k:02d}'
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(folder/f'{i}.png')
    dls = get_dls(8, 24, path=tmp_path/'own', seed=0, num_workers=0)
    assert len(dls.vocab) == dls.c == 37 and len(dls.valid_ds) == 37
    x, y = dls.one_batch()
    assert x.shape == (8, 3, 24, 24)
    sub = subset_items(labelled_files(tmp_path/'own'), classes=['class00', 'class01'])
    assert sorted(sub.label.unique()) == ['class00', 'class01'] and len(sub) == 8

def test_a_bad_image_met_in_a_worker_is_named_first(synth, tmp_path):
    copy = Path(shutil.copytree(synth, tmp_path/'copy'))
    bad = sorted((copy/'train').rglob('*.JPEG'))[3]
    bad.write_bytes(b'not a jpeg')
    dls = get_dls(4, 32, path=copy, num_workers=2)
    with pytest.raises(UnreadableImage) as e:
        for b in dls.train: pass
    first = str(e.value).splitlines()[0]
    assert first.startswith(f'Cannot read image {bad}: UnidentifiedImageError') and 'verify=True' in first
    with pytest.raises(ValueError, match=rf"1 unreadable images: \[Path\('{bad}'\)\]"): get_dls(4, 32, path=copy, verify=True)

def test_the_command_checks_its_label_options_first():
    from chapter7.train import TrainSettings
    with pytest.raises(ValueError, match="label_pat '\\(' is not a regular expression"): TrainSettings(label_pat='(')
    with pytest.raises(ValueError, match='valid_col is a column of labels_csv'): TrainSettings(valid_col='is_valid')
    with pytest.raises(ValueError, match='label_pat or labels_csv, not both'):
        TrainSettings(label_pat='(.+)', labels_csv='labels.csv')
    with pytest.raises(ValueError, match='valid_pct'): TrainSettings(valid_pct=float('nan'))

def test_batch_stats_on_other_channel_counts(synth):
    import torch
    from chapter7.data import batch_stats
    dls = get_dls(4, 32, path=synth, normalize=False, num_workers=0)
    four = torch.rand(4, 4, 8, 8)
    assert list(batch_stats(dls, (four,)).columns) == ['channel 0', 'channel 1', 'channel 2', 'channel 3']
    assert list(batch_stats(dls, (four[:, :1],)).columns) == ['gray']
    with pytest.raises(ValueError, match='The batch has 4 channels but its Normalize has statistics for 3'):
        batch_stats(get_dls(4, 32, path=synth, num_workers=0), (four,))

def test_the_command_passes_its_label_options_to_get_dls(monkeypatch):
    import chapter7.train as train
    seen = {}
    class Stop(Exception): pass
    def fake_get_dls(bs, size, **kwargs): seen.update(kwargs); raise Stop
    monkeypatch.setattr(train, 'get_dls', fake_get_dls)
    with pytest.raises(Stop):
        train.train_once(arch='xresnet18', labels_csv='labels.csv', fn_col='name', label_col='2', valid_col='valid')
    assert (seen['labels_csv'], seen['fn_col'], seen['label_col'], seen['valid_col']) == ('labels.csv', 'name', 2, 'valid')
    seen.clear()
    with pytest.raises(Stop): train.train_once(arch='xresnet18', valid_pct=0.2)
    assert seen['valid_pct'] == 0.2 and 'fn_col' not in seen and 'labels_csv' not in seen
