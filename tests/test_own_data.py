"""A student's own project: made-up photos in the layouts students have (one folder per class with a random split,
split folders, 2 and 37 classes; grayscale, RGBA and non-square images), run with the installed package from a folder
outside the repository, through each lesson's helpers and the training command. `make test-latest` runs it again
under the newest fastai."""
import json, subprocess, sys, textwrap
from pathlib import Path
import pytest

PROJECT = r'''
import json, functools, subprocess, sys, warnings
from pathlib import Path
import numpy as np
from PIL import Image
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
from fastai.vision.all import *
import chapter7
from chapter7.data import get_dls, batch_stats, labelled_files
from chapter7.learner import seeded_learner
from chapter7.normalization import train_with_and_without_normalize
from chapter7.progressive import Phase, train_progressive
from chapter7.tta import five_crop_tta, show_crop_and_squish, show_five_crops
from chapter7.mixup import plot_mixup, mixup_widget, image_pair
from chapter7.label_smoothing import smoothing_widget, plot_smoothed_targets, noise_runs
from chapter7.transfer import lr_suggestions
from chapter7.augment import (augment_copies, plot_augmentations, augmentation_widget, AlbumentationsTransform,
                              albumentations_pipelines)

out, rng = {'package': chapter7.__file__, 'cwd': str(Path.cwd())}, np.random.default_rng(0)
def photo(folder, name, shape, mode=None):
    "A made-up photo: random pixels, of `shape` (rows, columns[, channels])"
    folder.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8))
    im.save(folder/name)
    return folder/name

# flowers: one folder per class, no split, photos of several sizes, one grayscale JPEG and one RGBA PNG
shapes = [(40, 60, 3), (64, 48, 3), (50, 50, 3), (36, 80, 3)]
for c in ('daisy', 'rose', 'tulip'):
    for i in range(12): photo(Path('flowers')/c, f'{c}{i}.jpg', shapes[i % 4])
gray = photo(Path('flowers')/'rose', 'gray.jpg', (45, 70))
rgba = photo(Path('flowers')/'tulip', 'clear.png', (60, 40, 4))
flowers = functools.partial(get_dls, path='flowers', valid_pct=0.25, num_workers=0)
dls = flowers(8, 32, seed=0)
out['vocab'], out['n_valid'] = list(dls.vocab), len(dls.valid_ds)
out['batch_stats'] = batch_stats(dls).shape
learn = seeded_learner(dls, xresnet18, seed=0)
learn.fit_one_cycle(1, 1e-3)
out['tta'] = len(learn.tta(n=2)[0])
out['five_crop'] = len(five_crop_tta(learn, presize=40)[0])
log = train_progressive(learn, [Phase(8, 24, 1), Phase(8, 32, 1)], dls_fn=flowers)   # 1 epoch, then fine_tune(1)
out['progressive_rows'] = len(log)
table, _ = train_with_and_without_normalize(flowers, epochs=1, arch=xresnet18, bs=8, size=32)
out['normalize_rows'] = len(table)
try: out['lr_too_few'] = lr_suggestions(seeded_learner(dls, xresnet18, seed=0), num_it=12)
except ValueError as e: out['lr_too_few'] = str(e)   # fastai's `slide` needs more points: the error says how many
out['lr_suggestions'] = sorted(lr_suggestions(seeded_learner(dls, xresnet18, seed=0), num_it=12,
                                              suggest_funcs=(minimum, steep, valley)))
learn.export(Path('model.pkl').absolute())
out['predicted'] = load_learner('model.pkl').predict(rgba)[0] in dls.vocab

# the lessons' figures and widgets on these photos: paths, PIL images, fastai images, RGBA and grayscale
for img in (rgba, gray, Image.open(rgba), PILImage.create(gray)):
    assert augment_copies(img, n=2, size=32).shape == (2, 3, 32, 32)
plot_augmentations(str(rgba), n=2, size=32); show_crop_and_squish(gray, size=32); show_five_crops(rgba, 24)
plot_mixup(gray, rgba, 0.3, 0, 2, list(dls.vocab))
plt.close('all')
w = smoothing_widget(vocab=list(dls.vocab))
for eps in np.linspace(0, 0.5, 25): w.children[0].value = float(eps)   # 25 moves of the slider
out['open_figures_after_25_moves'] = len(plt.get_fignums())
plt.close('all')
dblock = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label,
                   splitter=RandomSplitter(0.25, seed=0), item_tfms=[Resize(40), AlbumentationsTransform(*albumentations_pipelines(40))])
out['albumentations'] = tuple(dblock.dataloaders('flowers', bs=4, num_workers=0).one_batch()[0].shape)

# two classes in split folders; 37 classes, as in the pets
for split, n in (('train', 6), ('valid', 2)):
    for c in ('cat', 'dog'):
        for i in range(n): photo(Path('pets2')/split/c, f'{i}.png', (30, 44, 3))
out['two_classes'] = list(get_dls(4, 24, path='pets2', num_workers=0).vocab)
for c in range(37):
    for split in ('train', 'val'): photo(Path('pets37')/split/f'breed{c:02d}', '0.jpg', (40, 30, 3))
vocab37 = list(get_dls(4, 24, path='pets37', num_workers=0).vocab)
out['classes_37'] = len(vocab37)
ax = plot_smoothed_targets(vocab=vocab37).axes[0]
out['bars_shown_of_37'] = len(ax.get_xticklabels())

# the command, on the same folder
run = subprocess.run([sys.executable, '-m', 'chapter7.train', '--path', 'flowers', '--valid-pct', '0.25',
                      '--epochs', '1', '--bs', '8', '--size', '32', '--arch', 'xresnet18', '--out', 'run.json'],
                     capture_output=True, text=True)
out['command'] = run.returncode, run.stderr[-500:]
out['command_runs'] = len(json.loads(Path('run.json').read_text())['runs']) if run.returncode == 0 else None
for c in ('Abyssinian', 'beagle'):   # the pets' layout: one folder, the breed in each file name
    for i in range(6): photo(Path('pets')/'images', f'{c}_{i}.jpg', (40, 56, 3))
run = subprocess.run([sys.executable, '-m', 'chapter7.train', '--path', 'pets', '--label-pat', r'^(.+)_\d+\.jpg$',
                      '--valid-pct', '0.34', '--epochs', '1', '--bs', '4', '--size', '24', '--arch', 'xresnet18',
                      '--out', 'pets.json'], capture_output=True, text=True)
out['pets_command'] = run.returncode, run.stderr[-500:]
print('RESULT', json.dumps(out, default=str))
'''

@pytest.fixture(scope='module')
def project(tmp_path_factory):
    "What the project script reports, run in an empty folder outside the repository"
    folder = tmp_path_factory.mktemp('own-project')
    (folder/'project.py').write_text(PROJECT)
    run = subprocess.run([sys.executable, 'project.py'], cwd=folder, capture_output=True, text=True, timeout=900,
                         env={**__import__('os').environ, 'OMP_NUM_THREADS': '1'})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.split('RESULT ', 1)[1])

def test_the_project_ran_outside_the_repository(project):
    root = Path(__file__).resolve().parents[1]
    assert not Path(project['cwd']).is_relative_to(root) and Path(project['package']).parent.name == 'chapter7'

def test_own_folders_and_labels(project):
    assert project['vocab'] == ['daisy', 'rose', 'tulip'] and project['n_valid'] == 9   # a quarter of 38, rounded
    assert project['two_classes'] == ['cat', 'dog'] and project['classes_37'] == 37
    assert project['batch_stats'] == [4, 3]

def test_the_lessons_helpers_on_own_data(project):
    assert project['tta'] == project['five_crop'] == project['n_valid']
    assert project['progressive_rows'] == 3 and project['normalize_rows'] == 2
    assert project['lr_suggestions'] == ['minimum', 'steep', 'valley'] and project['predicted']
    assert 'num_it=12 is too few' in project['lr_too_few'] and 'leave slide out' in project['lr_too_few']
    assert project['albumentations'] == [4, 3, 40, 40]

def test_figures_stay_readable_and_closed(project):
    assert project['open_figures_after_25_moves'] <= 1
    assert 2 <= project['bars_shown_of_37'] <= 21   # a readable number of bars, not 37 overlapping labels

def test_the_command_on_own_data(project):
    code, err = project['command']
    assert code == 0, err
    assert project['command_runs'] == 1
    code, err = project['pets_command']
    assert code == 0, err
