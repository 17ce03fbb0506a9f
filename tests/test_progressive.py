"`chapter7.progressive` as installed: schedules, the progressive-resizing runner and its plot"
import matplotlib
matplotlib.use('Agg')
from functools import partial
import numpy as np
import pytest
import matplotlib.pyplot as plt
from fastai.vision.all import Learner, accuracy, set_seed, xresnet18
from chapter7.data import make_synthetic_imagenette, get_dls
from chapter7.progressive import Phase, check_schedule, EpochLog, train_progressive, plot_accuracy_vs_time

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=24, n_valid=12,
                                     n_classes=4, size=48)

@pytest.fixture(scope='module')
def kwargs(synth): return dict(path=synth, presize=48, seed=42, num_workers=0)

def synth_learner(synth, seed=42):
    "A fresh xresnet18 for the four synthetic classes, its weights drawn from `seed`"
    dls = get_dls(16, 24, path=synth, presize=48, seed=seed, num_workers=0)
    set_seed(seed, reproducible=True)
    return Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)

@pytest.fixture(scope='module')
def progressive(synth, kwargs):
    "A progressive run, 24 then 40 pixels (2 + (1 + 1) epochs), and the learner it leaves"
    learn = synth_learner(synth)
    return train_progressive(learn, [Phase(16, 24, 2), Phase(16, 40, 1)], get_dls, **kwargs), learn

@pytest.fixture(scope='module')
def fixed(synth, kwargs):
    "As many epochs at a fixed 40 pixels, from the same weights"
    return train_progressive(synth_learner(synth), [Phase(16, 40, 4)], get_dls, **kwargs)

def test_phase_validates_its_fields():
    assert Phase(64, 128, 5).lr is None
    with pytest.raises(ValueError, match='epochs must be at least 1'): Phase(64, 128, 0)
    with pytest.raises(ValueError, match='bs must be at least 1'): Phase(0, 128, 2)
    for bad in (1.5, True, '2'):
        with pytest.raises(ValueError, match=f"epochs must be at least 1, a whole number, not {bad!r}"): Phase(64, 128, bad)
    assert Phase(np.int64(64), 128, 2).bs == 64
    with pytest.raises(ValueError, match='learning rate must be above 0'): Phase(64, 128, 2, lr=0)

def test_check_schedule():
    assert check_schedule([dict(bs=128, size=64, epochs=4), Phase(64, 128, 5)]) == [Phase(128, 64, 4), Phase(64, 128, 5)]
    with pytest.raises(ValueError, match='schedule is empty'): check_schedule([])
    with pytest.raises(ValueError, match='strictly increase'): check_schedule([Phase(64, 128, 2), Phase(64, 64, 2)])
    with pytest.raises(ValueError, match=r'\[128, 128\]'): check_schedule([Phase(64, 128, 2), Phase(64, 128, 2)])
    with pytest.raises(ValueError, match='epochs must be at least 1'): check_schedule([dict(bs=64, size=64, epochs=0)])

def test_progressive_log(progressive):
    "One row per epoch; the size changes where the phase does, the clock only moves forward"
    log, learn = progressive
    assert list(log.columns) == ['phase', 'size', 'bs', 'epoch', 'train_loss', 'valid_loss', 'accuracy', 'seconds']
    assert log['size'].tolist() == [24, 24, 40, 40]
    assert log.epoch.tolist() == list(range(4))
    assert log.seconds.is_monotonic_increasing and log.seconds.iloc[0] > 0
    assert learn.dls.one_batch()[0].shape == (16, 3, 40, 40)   # left with the last phase's DataLoaders
    assert log.accuracy.iloc[-1] >= 0.6, log   # four classes: guessing scores 0.25
    summary = log.groupby('phase').agg(epochs=('epoch', 'count'), seconds=('seconds', 'last'))
    assert summary.epochs.tolist() == [2, 2]

def test_fixed_log(progressive, fixed):
    assert len(fixed) == len(progressive[0])
    assert fixed['size'].unique().tolist() == [40]
    assert fixed.accuracy.iloc[-1] >= 0.6, fixed

def test_bad_schedules_and_learners_are_refused(synth, kwargs):
    with pytest.raises(ValueError, match='strictly increase'):
        train_progressive(synth_learner(synth), [Phase(16, 40, 1), Phase(16, 24, 1)], get_dls, **kwargs)
    with pytest.raises(ValueError, match='empty'): train_progressive(synth_learner(synth), [], get_dls, **kwargs)
    with pytest.raises(ValueError, match='at least 1'):
        train_progressive(synth_learner(synth), [dict(bs=16, size=24, epochs=0)], get_dls, **kwargs)
    learn = synth_learner(synth)
    no_metric = Learner(learn.dls, xresnet18(n_out=4))
    with pytest.raises(ValueError, match='metrics=accuracy'): train_progressive(no_metric, [Phase(16, 24, 1)], get_dls, **kwargs)

def test_batches_must_match_the_phase(synth, kwargs):
    "`EpochLog` refuses a phase whose DataLoaders make batches of another size, and `reuse_dls` trains on the learner's own"
    with pytest.raises(ValueError, match='batches of 16 of 24x24'):
        train_progressive(synth_learner(synth), [Phase(8, 24, 1)], get_dls, reuse_dls=True, **kwargs)
    def no_rebuild(bs, size, **kwargs): raise AssertionError(f"DataLoaders rebuilt for size {size}")
    assert len(train_progressive(synth_learner(synth), [Phase(16, 24, 1)], no_rebuild, reuse_dls=True)) == 1
    with pytest.raises(ValueError, match='batches of 16 of 24x24'):
        train_progressive(synth_learner(synth), [Phase(16, 32, 1)], no_rebuild, reuse_dls=True)
    with pytest.raises(ValueError, match='Phase 0 is for batches of 16 images of 32 pixels'):
        train_progressive(synth_learner(synth), [Phase(16, 32, 1)], lambda bs, size, **kw: get_dls(bs, 24, **kw), **kwargs)

def test_epoch_log_on_its_own(synth):
    "Added to a learner by hand, `EpochLog` logs each epoch without phase columns and checks nothing"
    set_seed(42, reproducible=True)
    dls = get_dls(16, 24, path=synth, presize=48, seed=42, num_workers=0)
    learn = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy, cbs=EpochLog())
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
    rows = learn.epoch_log.rows
    assert [r['epoch'] for r in rows] == [0, 1] and 'phase' not in rows[0]
    assert rows[0]['seconds'] < rows[1]['seconds']

def test_plot_accuracy_vs_time(progressive, fixed):
    log = progressive[0]
    fig = plot_accuracy_vs_time({'progressive 24 -> 40 px': log, 'fixed 40 px': fixed})
    ax = fig.axes[0]
    assert [l.get_label() for l in ax.lines] == ['progressive 24 -> 40 px', 'fixed 40 px']
    assert (ax.lines[0].get_xdata() == log.seconds.values).all()
    assert (ax.lines[1].get_ydata() == fixed.accuracy.values).all()
    assert ax.get_xlabel() == 'wall time (seconds)'
    plt.close(fig)

def test_the_builder_is_required(synth, kwargs):
    "No silent default to Imagenette: without a builder, or with one of another signature, a clear error before any training"
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'dls_fn'"):
        train_progressive(synth_learner(synth), [Phase(16, 24, 1)], **kwargs)
    with pytest.raises(TypeError, match='dls_fn must be a function called as dls_fn\\(bs, size, \\*\\*kwargs\\)'):
        train_progressive(synth_learner(synth), [Phase(16, 24, 1)], None, **kwargs)
    with pytest.raises(TypeError, match='the helper passes bs and size itself'):
        train_progressive(synth_learner(synth), [Phase(16, 24, 1)], partial(get_dls, 16, 24), **kwargs)
    learn = synth_learner(synth)
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    with pytest.raises(TypeError, match='cannot be called as dls_fn'):   # reuse_dls: the first phase would train, then fail
        train_progressive(learn, [Phase(16, 24, 1), Phase(16, 40, 1)], lambda size: None, reuse_dls=True)
    assert all((v == before[k]).all() for k, v in learn.model.state_dict().items())

def test_a_partial_of_get_dls_is_a_builder(synth):
    log = train_progressive(synth_learner(synth), [Phase(16, 24, 1)], partial(get_dls, path=synth, presize=48, num_workers=0), seed=42)
    assert log['size'].tolist() == [24]

def test_phase_refuses_non_finite_rates():
    for bad in (float('inf'), float('nan')):
        with pytest.raises(ValueError, match="A phase's learning rate must be a finite number"): Phase(64, 128, 2, lr=bad)
    with pytest.raises(ValueError, match="A phase's learning rate must be above 0"): Phase(64, 128, 2, lr=-1e-3)

def test_schedule_and_plot_refuse_nothing():
    with pytest.raises(TypeError, match='The schedule must be a list of phases'): check_schedule(None)
    with pytest.raises(ValueError, match='at least one run'): plot_accuracy_vs_time({})
