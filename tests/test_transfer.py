"`chapter7.transfer` as installed: bodies and heads, learning rates, the recipes, interpretation, saving and exporting"
import matplotlib
matplotlib.use('Agg')
from functools import partial
import numpy as np
import pytest, torch
import matplotlib.pyplot as plt
from fastai.vision.all import (ClassificationInterpretation, Learner, AMPMode, combined_cos, error_rate, accuracy,
                               num_features_model, resnet34, vision_learner, load_learner, xresnet34)
from chapter7.data import make_synthetic_imagenette, get_dls, class_name
from chapter7.transfer import *
from fastai.vision.all import minimum, steep, valley, slide

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=24, n_valid=10,
                                     n_classes=10, size=48)

@pytest.fixture(scope='module')
def tmp(tmp_path_factory): return tmp_path_factory.mktemp('runs')

@pytest.fixture(scope='module')
def synth_dls(synth):
    def dls(classes=TRANSFER_CLASSES, size=32, seed=0, **kwargs):
        return get_dls(16, size, path=synth, presize=48, classes=classes, seed=seed, num_workers=0, **kwargs)
    return dls

@pytest.fixture(scope='module')
def body_file(synth_dls, tmp):
    "A body pretrained on the first five synthetic classes"
    pre = transfer_learner(synth_dls(PRETRAIN_CLASSES), seed=0, path=tmp)
    with pre.no_bar(), pre.no_logging(): pre.fit_one_cycle(3, 1e-2)
    assert pre.validate()[1] > 0.5   # five classes: chance is 0.2
    return save_body(pre, tmp/'weights'/'body_5_classes.pth')

@pytest.fixture(scope='module')
def trained(synth_dls, body_file, tmp):
    "A transfer learner trained with `freeze_unfreeze`: one frozen epoch, two unfrozen"
    learn = transfer_learner(synth_dls(), weights=body_file, seed=0, path=tmp)
    with learn.no_bar(), learn.no_logging(): freeze_unfreeze(learn, 1, 2, lr=1e-2, lrs=slice(1e-4, 1e-2))
    return learn

def test_classes():
    assert [class_name(c) for c in PRETRAIN_CLASSES] == ['tench', 'English springer', 'cassette player', 'chain saw', 'church']
    assert [class_name(c) for c in TRANSFER_CLASSES] == ['French horn', 'garbage truck', 'gas pump', 'golf ball', 'parachute']
    assert not set(PRETRAIN_CLASSES) & set(TRANSFER_CLASSES)

def test_transfer_model():
    model = transfer_model(make_body(), 5)
    assert len(model) == 2 and num_features_model(model[0]) == 512 and model[1][-1].out_features == 5
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 5)
    with pytest.raises(ValueError, match='at least two classes'): transfer_model(make_body(), 1)

def test_precision(synth_dls, tmp):
    dls = synth_dls()
    fast = transfer_learner(dls, precision='bf16', channels_last=True, path=tmp)
    assert fast.mixed_precision.amp_mode == AMPMode.BF16 and hasattr(fast, 'channels_last')
    assert not hasattr(transfer_learner(dls, path=tmp), 'mixed_precision')
    with pytest.raises(ValueError, match="precision must be 'fp32', 'fp16' or 'bf16'"): transfer_learner(dls, precision='half')

def test_save_and_load_body(body_file, tmp):
    state = torch.load(body_file, weights_only=True)
    body = make_body(weights=body_file)
    for k, v in body.state_dict().items(): assert torch.equal(v, state[k])
    with pytest.raises(FileNotFoundError, match='No weights file'): make_body(weights=tmp/'nowhere.pth')
    with pytest.raises(ValueError, match='does not fit this body'): make_body(xresnet34, weights=body_file)
    with pytest.raises(ValueError, match="Pass the pretrained body's weights"): check_weights(None)
    assert check_weights(str(body_file)) == body_file

def test_save_body_needs_body_and_head(synth_dls, tmp):
    for model in (torch.nn.Linear(3, 5), torch.nn.Sequential(torch.nn.Flatten(), torch.nn.ReLU(), torch.nn.Linear(3, 5))):
        with pytest.raises(ValueError, match='made of a body and a head'): save_body(Learner(synth_dls(), model), tmp/'x.pth')

def test_transfer_learner_is_frozen(synth_dls, body_file, tmp):
    learn = transfer_learner(synth_dls(), weights=body_file, seed=0, path=tmp)
    assert learn.dls.vocab == ['French horn', 'garbage truck', 'gas pump', 'golf ball', 'parachute']
    assert len(learn.opt.param_lists) == 2
    frozen = [p for p in learn.model[0].parameters() if not p.requires_grad]
    assert frozen and all(p.requires_grad for p in learn.model[1].parameters())
    for k, v in make_body(weights=body_file).state_dict().items(): assert torch.equal(learn.model[0].state_dict()[k], v)

def test_lr_suggestions(synth_dls, body_file, tmp):
    learn = transfer_learner(synth_dls(), weights=body_file, seed=0, path=tmp)
    with pytest.raises(ValueError, match='run `learn.lr_find\\(\\)`'): plot_lr_suggestions(learn, {})
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    sugg = lr_suggestions(learn, num_it=30)
    assert list(sugg) == ['minimum', 'steep', 'valley', 'slide'] and all(1e-7 <= lr <= 10 for lr in sugg.values())
    for k, v in learn.model.state_dict().items(): assert torch.equal(v, before[k])   # lr_find puts the weights back
    ax = plot_lr_suggestions(learn, sugg).axes[0]
    assert ax.get_xscale() == 'log'
    assert [t.get_text().split(':')[0] for t in ax.get_legend().get_texts()] == list(sugg)
    assert np.allclose([l.get_xdata()[0] for l in ax.lines[1:]], list(sugg.values()))
    plt.close('all')

def test_check_lr():
    assert check_lr(slice(1e-6, 1e-4)) == slice(1e-6, 1e-4) and check_lr(3e-3) == 3e-3
    assert check_lr([1e-5, 1e-3]) == [1e-5, 1e-3]   # one rate per parameter group, as fastai's `fit` takes them too
    for bad, message in [(slice(1e-4, 1e-6), 'larger learning rate than the head'), (slice(1e-4, None), 'needs hi'),
                         (slice(1e-6, 1e-4, 2), 'takes no step'), (-1e-3, 'must be positive'), (slice(0, 1e-3), 'must be positive'),
                         ([1e-3, 0], 'must be positive'), ((), 'must be positive'), (np.array([1e-3, -1.]), 'must be positive')]:
        with pytest.raises(ValueError, match=message): check_lr(bad)

def test_slices_become_group_rates(synth_dls, body_file, tmp):
    learn = transfer_learner(synth_dls(), weights=body_file, path=tmp)
    def group_lrs(lr): learn.opt.set_hyper('lr', lr); return [h['lr'] for h in learn.opt.hypers]
    assert np.allclose(group_lrs(slice(1e-6, 1e-4)), [1e-6, 1e-4])
    assert np.allclose(group_lrs(slice(1e-4)), [1e-5, 1e-4])
    assert np.allclose(group_lrs(1e-3), [1e-3, 1e-3])

def test_freeze_unfreeze(trained, synth_dls):
    body_lr, head_lr = [h['lr'] for h in trained.opt.hypers]
    assert np.isclose(head_lr / body_lr, 100)   # one schedule for both groups, the body's 100 times lower
    assert all(p.requires_grad for p in trained.model.parameters())
    lrs, n = np.array(trained.recorder.hps['lr']), len(trained.dls.train)*2   # one value per batch of the 2 unfrozen epochs
    one_cycle = combined_cos(0.25, 1e-2/25, 1e-2, 1e-2/1e5)                  # fit_one_cycle's defaults
    assert np.allclose(lrs, [one_cycle(i/n) for i in range(n)])
    assert len(trained.recorder.losses) == n and len(trained.recorder.values) == 2
    assert trained.recorder.values[-1][2] > 0.4   # validation accuracy after the last epoch; five classes: chance is 0.2
    with pytest.raises(ValueError, match='larger learning rate than the head'): freeze_unfreeze(trained, 1, 1, lrs=slice(1e-3, 1e-5))
    with pytest.raises(ValueError, match='at least one epoch'): freeze_unfreeze(trained, 0, 1)

def test_compare_transfer(synth_dls, body_file, tmp):
    dls = synth_dls()
    runs = compare_transfer(dls, body_file, seeds=(0,), epochs=2, lr=1e-2, path=tmp)
    assert list(runs.recipe) == list(RECIPES) and list(runs.columns) == ['recipe', 'seed', 'accuracy', 'seconds']
    assert (runs.accuracy > 0.3).all(), runs   # five classes: chance is 0.2
    again = compare_transfer(dls, body_file, seeds=(0,), epochs=2, lr=1e-2, path=tmp, metrics=error_rate)   # the book's metric
    assert list(again.accuracy) == list(runs.accuracy)   # still accuracy, and the same seed repeats the runs
    with pytest.raises(ValueError, match='freeze_epochs < epochs'): compare_transfer(dls, body_file, epochs=2, freeze_epochs=2)
    with pytest.raises(ValueError, match="Pass the pretrained body's weights"): compare_transfer(dls, None)
    with pytest.raises(FileNotFoundError, match='No weights file'): compare_transfer(dls, tmp/'no-body.pth')
    with pytest.raises(ValueError, match='larger learning rate'): compare_transfer(dls, body_file, lrs=slice(1e-2, 1e-4))

def test_validation_accuracy_ignores_metrics(trained):
    assert np.isclose(validation_accuracy(trained), trained.validate()[1])

def test_progressive_vs_fixed(synth, synth_dls, body_file, tmp):
    builder = partial(get_dls, path=synth, presize=48, classes=TRANSFER_CLASSES, num_workers=0)   # as `get_dls`: bs, size, **kwargs
    prog = progressive_vs_fixed(builder, body_file, small=16, size=32, epochs=4, bs=16,
                                seeds=(0,), lr=1e-2, path=tmp)
    assert list(prog.schedule) == ['fixed 32', 'progressive 16->32'] and (prog.accuracy > 0.3).all(), prog
    with pytest.raises(ValueError, match='must be smaller'): progressive_vs_fixed(builder, body_file, small=32, size=32)
    with pytest.raises(ValueError, match="Pass the pretrained body's weights"): progressive_vs_fixed(builder, None)
    with pytest.raises(ValueError, match='at least 4'): progressive_vs_fixed(builder, body_file, small=16, size=32, epochs=3)

def test_interpretation(trained, synth, tmp):
    interp = ClassificationInterpretation.from_learner(trained)
    cm = confusion_table(interp)
    assert list(cm.index) == list(cm.columns) == list(trained.dls.vocab)
    assert cm.values.sum() == len(trained.dls.valid_ds)
    assert np.isclose(np.trace(cm.values)/cm.values.sum(), trained.validate()[1])
    confused = interp.most_confused()
    for actual, predicted, n in confused: assert cm.loc[actual, predicted] == n
    assert sum(n for *_, n in confused) == cm.values.sum() - np.trace(cm.values)
    top = top_losses_table(interp, 5)
    probs, targs = trained.get_preds(dl=interp.dl)
    assert top.loss.is_monotonic_decreasing and set(top.actual) <= set(trained.dls.vocab)
    assert np.allclose(top.loss.values, [-np.log(float(probs[i, targs[i]])) for i in interp.top_losses(5)[1]], atol=1e-4)
    for bad in (0, len(interp.losses) + 1):
        with pytest.raises(ValueError, match='k must be from 1 to'): top_losses_table(interp, bad)
    fast = get_dls(16, 32, path=synth, presize=48, classes=TRANSFER_CLASSES, seed=0, fast=True, cache_dir=tmp/'cache')
    fast_top = top_losses_table(ClassificationInterpretation.from_learner(Learner(fast, trained.model)), 5)
    assert list(fast_top.file) == list(top.file)   # on the fast path too, whose items are row numbers
    assert np.allclose(fast_top.loss.values, top.loss.values, atol=1e-5)

def test_save_and_load_weights(trained, synth_dls, body_file, tmp):
    trained.save('transfer_5')
    preds = trained.get_preds()[0]
    fresh = transfer_learner(synth_dls(), weights=body_file, seed=1, path=tmp)
    assert not torch.allclose(fresh.get_preds()[0], preds)
    load_weights(fresh, 'transfer_5')
    assert torch.allclose(fresh.get_preds()[0], preds, atol=1e-6)
    with pytest.raises(FileNotFoundError, match='No saved weights'): load_weights(fresh, 'not_saved_yet')
    four = transfer_learner(synth_dls(TRANSFER_CLASSES[:4]), path=tmp)
    with pytest.raises(ValueError, match='holds a model for 5 classes, but this Learner predicts 4'): load_weights(four, 'transfer_5')

def test_export_and_load_learner(trained, tmp):
    trained.export(tmp/'transfer_5.pkl')
    inf = load_learner(tmp/'transfer_5.pkl', cpu=False)   # on the device `trained` uses: same kernels, same numbers
    assert inf.dls.vocab == trained.dls.vocab
    fn = trained.dls.valid_ds.items[0]
    (label, _, p), (label0, _, p0) = inf.predict(fn), trained.predict(fn)
    assert label == label0 == trained.dls.vocab[p.argmax()] and torch.allclose(p, p0, atol=1e-6)

def test_vision_learner_structure(synth_dls, tmp):
    "What `vision_learner` builds for ResNets: body and head, three parameter groups, the stem frozen"
    dls = synth_dls()
    vl = vision_learner(dls, resnet34, pretrained=False, metrics=accuracy, path=tmp)
    assert len(vl.model) == 2 and vl.model[1][-1].out_features == dls.c and len(vl.splitter(vl.model)) == 3
    vl.freeze()
    assert vl.opt.frozen_idx == 2 and not any(p.requires_grad for p in vl.model[0][0].parameters())

@pytest.fixture(scope='module')
def tiny(synth_dls, tmp):
    "A small learner on the synthetic transfer classes"
    return transfer_learner(synth_dls(), seed=0, path=tmp)

@pytest.mark.parametrize('num_it', [12, 20, 22])
def test_lr_suggestions_with_too_few_iterations(tiny, num_it):
    "`slide` compares points 15 apart: with fewer than 23 mini-batches, a clear error naming the minimum, before any training"
    with pytest.raises(ValueError, match=f'num_it={num_it} is too few for the suggestions minimum, steep, valley, slide: use num_it=23 '
                                         'or more, or leave slide out'):
        lr_suggestions(tiny, num_it=num_it)

def test_lr_suggestions_with_few_iterations(tiny):
    assert lr_find_points(23) == 16 and lr_find_points(100) == 85 and lr_find_points(3) == 1
    sugg = lr_suggestions(tiny, num_it=23)
    assert list(sugg) == ['minimum', 'steep', 'valley', 'slide'] and all(np.isfinite(list(sugg.values())))
    assert list(lr_suggestions(tiny, (minimum, steep, valley), num_it=12)) == ['minimum', 'steep', 'valley']
    assert list(lr_suggestions(tiny, (valley,), num_it=7)) == ['valley']
    with pytest.raises(ValueError, match='use num_it=7 or more'): lr_suggestions(tiny, (valley,), num_it=6)
    with pytest.raises(ValueError, match='use num_it=12 or more'): lr_suggestions(tiny, (partial(slide, lr_diff=5),), num_it=11)

def test_lr_suggestions_same_as_lr_find(tiny):
    "The suggestions are `lr_find`'s own"
    from fastai.vision.all import set_seed
    from chapter7.learner import reseed
    reseed(tiny.dls, 0); set_seed(0); ours = lr_suggestions(tiny, num_it=30)
    reseed(tiny.dls, 0); set_seed(0)
    with tiny.no_bar(): theirs = tiny.lr_find(num_it=30, suggest_funcs=(minimum, steep, valley, slide), show_plot=False)
    assert np.allclose(list(ours.values()), list(theirs), rtol=1e-5)

def test_lr_suggestions_refuses_bad_input(tiny):
    for kwargs, message in [(dict(num_it=0), 'num_it must be at least 1'), (dict(num_it=30.5), 'num_it must be a whole number'),
                            (dict(num_it=float('inf')), 'num_it must be a whole number'), (dict(end_lr=float('inf')), 'end_lr must be a finite number'),
                            (dict(start_lr=float('nan')), 'start_lr must be a finite number'), (dict(start_lr=0), 'start_lr must be above 0'),
                            (dict(suggest_funcs=()), 'at least one suggestion method')]:
        with pytest.raises(ValueError, match=message): lr_suggestions(tiny, **kwargs)
    with pytest.raises(ValueError, match='skip_end must be at least 0'): plot_lr_suggestions(tiny, {}, skip_end=-1)

def test_progressive_vs_fixed_builder_and_numbers(synth, body_file):
    builder = partial(get_dls, path=synth, presize=48, classes=TRANSFER_CLASSES, num_workers=0)
    with pytest.raises(TypeError, match='cannot be called as dls_fn\\(64, 16, seed=0\\)'):   # the old `dls_fn(size, seed)`
        progressive_vs_fixed(lambda size, seed: builder(16, size, seed=seed), body_file, small=16, size=32)
    with pytest.raises(TypeError, match='the helper passes bs and size itself'):
        progressive_vs_fixed(partial(get_dls, 16, 32), body_file, small=16, size=32)
    for kwargs, message in [(dict(seeds=(-1,)), 'seed must be at least 0'), (dict(seeds=()), 'at least one seed'),
                            (dict(lr=float('inf')), 'A learning rate must be a finite number'), (dict(epochs=4.5), 'epochs must be a whole number'),
                            (dict(small=-16), 'small must be at least 1')]:
        with pytest.raises(ValueError, match=message): progressive_vs_fixed(builder, body_file, **{'small': 16, 'size': 32, **kwargs})

def test_numbers_are_checked(synth_dls, body_file, trained):
    with pytest.raises(ValueError, match='must be a finite number'): check_lr(float('inf'))
    with pytest.raises(ValueError, match='must be a finite number'): check_lr(slice(1e-5, float('inf')))
    with pytest.raises(ValueError, match='must be positive'): check_lr(float('nan'))
    with pytest.raises(ValueError, match='at least two classes'): transfer_model(make_body(), 2.5)
    with pytest.raises(ValueError, match='at least one epoch'): freeze_unfreeze(trained, 1.5, 1)
    with pytest.raises(ValueError, match='seed must be at least 0'): compare_transfer(synth_dls(), body_file, seeds=(-1,))
    with pytest.raises(ValueError, match='k must be from 1 to'): top_losses_table(ClassificationInterpretation.from_learner(trained), 2.5)

def test_make_body_needs_a_constructor():
    with pytest.raises(TypeError, match='arch must be a model constructor'): make_body(3)
