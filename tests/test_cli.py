"The benchmark command as a user runs it, in a fresh process"
import json, subprocess, sys
from chapter7.data import make_synthetic_imagenette

def test_bench_command(tmp_path):
    data = make_synthetic_imagenette(tmp_path/'imagenette2-160', n_train=6, n_valid=2, n_classes=2, size=48)
    out = tmp_path/'bench.json'
    args = ['--path', str(data), '--epochs', '1', '--seeds', '1', '--arch', 'xresnet18', '--size', '32', '--bs', '4',
            '--tuned_bs', '8', '--configs', 'stock,fast', '--cache_dir', str(tmp_path/'cache'), '--out', str(out)]
    res = subprocess.run([sys.executable, '-m', 'chapter7.bench', *args], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count('mean of 1 seeds') == 1, res.stdout   # ran once, printed its table once
    report = json.loads(out.read_text())
    assert [r['config'] for r in report['results']] == ['stock', 'fast']
    assert all(0 <= r['accuracy'] <= 1 and r['seconds'] > 0 for r in report['results'])

def test_bench_rejects_bad_arch(tmp_path):
    res = subprocess.run([sys.executable, '-m', 'chapter7.bench', '--path', str(tmp_path), '--arch', 'nope'],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode != 0
    assert "Unknown arch 'nope'" in res.stderr
