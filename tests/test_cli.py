"The benchmark command as a user runs it, in a fresh process"
import json, subprocess, sys
from chapter7.data import make_synthetic_imagenette

def test_bench_command(tmp_path):
    data = make_synthetic_imagenette(tmp_path/'imagenette2-160', n_train=6, n_valid=2, n_classes=2, size=48)
    out = tmp_path/'bench.json'
    args = ['--path', str(data), '--epochs', '1', '--seeds', '1', '--arch', 'xresnet18', '--size', '32', '--bs', '4',
            '--tuned_bs', '8', '--configs', 'stock,fast', '--cache_dir', str(tmp_path/'cache'), '--out', str(out)]
    res = subprocess.run([sys.executable, '-m', 'chapter7.bench', *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count('mean of 1 seeds') == 1, res.stdout   # ran once, printed its table once
    report = json.loads(out.read_text())
    assert [r['config'] for r in report['results']] == ['stock', 'fast']
    assert all(0 <= r['accuracy'] <= 1 and r['seconds'] > 0 for r in report['results'])

def test_bench_rejects_bad_arch(tmp_path):
    res = subprocess.run([sys.executable, '-m', 'chapter7.bench', '--path', str(tmp_path), '--arch', 'nope'],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode != 0
    assert "Unknown arch 'nope'" in res.stderr

def test_train_command(tmp_path):
    data = make_synthetic_imagenette(tmp_path/'imagenette2-160', n_train=6, n_valid=2, n_classes=2, size=48)
    out = tmp_path/'train.json'
    args = ['--path', str(data), '--epochs', '1', '--runs', '2', '--arch', 'xresnet18', '--size', '32', '--bs', '4',
            '--mixup', '0.4', '--smoothing', '0.1', '--tta', '--out', str(out), '--export', 'models/run-{seed}.pkl',
            '--act', 'mish', '--sa', '--pool', 'max', '--opt', 'ranger', '--sched', 'flat_cos', '--wd', '0.01', '--min-scale', '0.35']
    res = subprocess.run([sys.executable, '-m', 'chapter7.train', *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    assert [r['seed'] for r in report['runs']] == [0, 1]
    assert report['settings']['mixup'] == 0.4 and report['settings']['tta'] is True
    assert (report['settings']['opt'], report['settings']['sched'], report['settings']['sa']) == ('ranger', 'flat_cos', True)
    assert 0 <= report['summary']['tta_accuracy']['mean'] <= 1
    assert sorted(o.name for o in (tmp_path/'models').iterdir()) == ['run-0.pkl', 'run-1.pkl']   # beside the command
    from fastai.learner import load_learner
    learn = load_learner(tmp_path/'models'/'run-1.pkl')
    valid = sorted((data/'val').rglob('*.JPEG'))
    assert abs(learn.validate(dl=learn.dls.test_dl(valid, with_labels=True))[1] - report['runs'][1]['accuracy']) < 1e-6   # seed 1's model
    assert learn.predict(valid[0])[0] in learn.dls.vocab

def test_train_rejects_bad_input(tmp_path):
    for args, msg in ((['--arch', 'nope'], "Unknown arch 'nope'"), (['--noise', '7', '--path', str(tmp_path)], 'noise must be one of'),
                      (['--epochs', '0', '--path', str(tmp_path)], 'epochs must be at least 1'),
                      (['--runs', '2', '--export', 'model.pkl', '--path', str(tmp_path)], "put '{seed}' in the file name")):
        res = subprocess.run([sys.executable, '-m', 'chapter7.train', *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert res.returncode == 2 and msg in res.stderr.splitlines()[-1], res.stderr

def test_experiments_command_resumes(tmp_path):
    data = make_synthetic_imagenette(tmp_path/'imagenette2-160', n_train=6, n_valid=2, n_classes=2, size=48)
    out = tmp_path/'results.json'
    def run(*extra):
        args = ['--path', str(data), '--only', 'baseline,smoothing-5', '--arch', 'xresnet18', '--size', '32', '--bs', '4',
                '--out', str(out), *extra]
        return subprocess.run([sys.executable, '-m', 'chapter7.experiments', *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    res = run('--runs', '1')
    assert res.returncode == 0, res.stderr
    first = json.loads(out.read_text())
    assert [(r['experiment'], r['seed']) for r in first['runs']] == [('baseline', 0), ('smoothing-5', 0)]
    assert first['experiments']['smoothing-5'] == {'smoothing': 0.1} and first['common'] == {'size': 32, 'bs': 4, 'arch': 'xresnet18'}
    res = run('--runs', '2')   # adds seed 1 only
    assert res.returncode == 0, res.stderr
    second = json.loads(out.read_text())
    assert second['runs'][:2] == first['runs'] and [r['seed'] for r in second['runs'][2:]] == [1, 1]
    assert 'baseline' in res.stdout and 'smoothing-5' in res.stdout

def test_experiments_rejects_bad_input(tmp_path):
    for args, msg in ((['--only', 'mixup-7'], "No experiment matches ['mixup-7']"), (['--runs', '0'], 'runs must be at least 1')):
        res = subprocess.run([sys.executable, '-m', 'chapter7.experiments', '--path', str(tmp_path), *args],
                             capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert res.returncode == 2 and msg in res.stderr.splitlines()[-1], res.stderr
