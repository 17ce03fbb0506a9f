"Nothing lost, every bad input named: the commands' saves, output paths and numbers, as a user meets them"
import errno, json, os, signal, subprocess, sys, tempfile
from pathlib import Path
import pytest
import chapter7.core
from chapter7 import train, bench, experiments
from chapter7.cli import run_cli, parser_for
from chapter7.data import make_synthetic_imagenette

TINY = ['--epochs', '1', '--arch', 'xresnet18', '--size', '32', '--bs', '4']

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=6, n_valid=2, n_classes=2, size=48)

def command(func, argv, capsys, **kwargs):
    "Run `func` as its command line does: (exit status, stderr)"
    with pytest.raises(SystemExit) as e: run_cli(func, argv, **kwargs)
    return e.value.code, capsys.readouterr().err

def one_line(err:str) -> str:
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    return err

@pytest.fixture
def no_training(monkeypatch):
    "Fail the test if any run starts"
    def never(*args, **kwargs): raise AssertionError('trained before checking its input')
    monkeypatch.setattr(train, 'train_once', never)
    monkeypatch.setattr(bench, 'fit_and_score', never)

# 1. Saved atomically, after every run; resumed; someone else's file refused

def test_a_killed_write_leaves_the_last_whole_file(tmp_path):
    "A process killed while writing a report (SIGKILL: no clean-up) leaves the previous report whole"
    out = tmp_path/'train.json'
    code = f'''
import os, signal
from pathlib import Path
from chapter7.core import save_json
out = Path({str(out)!r})
save_json({{"runs": [1]}}, out, "out")
def dying(self, text, *args, **kwargs):
    with open(self, "w") as f: f.write(text[:3]); f.flush(); os.fsync(f.fileno())
    os.kill(os.getpid(), signal.SIGKILL)
Path.write_text = dying
save_json({{"runs": [1, 2]}}, out, "out")
'''
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert res.returncode == -signal.SIGKILL, res.stderr
    assert json.loads(out.read_text()) == {'runs': [1]}

def test_train_full_disk_keeps_the_finished_runs(synth, tmp_path, monkeypatch, capsys):
    out, real, calls = tmp_path/'train.json', Path.write_text, []
    def write_text(self, text, *args, **kwargs):
        if self.name.startswith('train.') and '.partial' in self.name:
            calls.append(self)
            if len(calls) == 2: real(self, text[:len(text) // 2]); raise OSError(errno.ENOSPC, 'No space left on device')
        return real(self, text, *args, **kwargs)
    monkeypatch.setattr(Path, 'write_text', write_text)
    code, err = command(train.main, ['--path', str(synth), *TINY, '--runs', '2', '--out', str(out)], capsys)
    assert code == 2 and f'Cannot write {out} (--out): No space left on device' in one_line(err)
    report = json.loads(out.read_text())   # run 1's report, whole
    assert [r['seed'] for r in report['runs']] == [0] and report['complete'] is False
    assert list(tmp_path.glob('*.partial*')) == []

def test_train_ctrl_c_keeps_run_1_and_resumes(synth, tmp_path, monkeypatch, capsys):
    out, real, seeds = tmp_path/'train.json', train.train_once, []
    def stopped_in_run_2(s, **kwargs):
        seeds.append(kwargs['seed'])
        if len(seeds) == 2: raise KeyboardInterrupt
        return real(s, **kwargs)
    monkeypatch.setattr(train, 'train_once', stopped_in_run_2)
    argv = ['--path', str(synth), *TINY, '--runs', '2', '--out', str(out)]
    code, err = command(train.main, argv, capsys)
    assert code == 130 and 'interrupted' in one_line(err)
    first = json.loads(out.read_text())
    assert [r['seed'] for r in first['runs']] == [0] and first['complete'] is False
    seeds.clear()
    monkeypatch.setattr(train, 'train_once', lambda s, **kwargs: seeds.append(kwargs['seed']) or real(s, **kwargs))
    report = run_cli(train.main, argv)   # the same command again: seed 1 alone
    assert seeds == [1] and report['complete'] is True
    assert [r['seed'] for r in report['runs']] == [0, 1] and report['runs'][0] == first['runs'][0]
    assert json.loads(out.read_text()) == json.loads(json.dumps(report, default=str))

def test_bench_ctrl_c_keeps_run_1_and_resumes(synth, tmp_path, monkeypatch, capsys):
    out, real, started = tmp_path/'bench.json', bench.fit_and_score, []
    def stopped_in_run_2(*args, **kwargs):
        started.append(kwargs['seed'])
        if len(started) == 2: raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(bench, 'fit_and_score', stopped_in_run_2)
    argv = ['--path', str(synth), *TINY, '--seeds', '2', '--configs', 'stock', '--out', str(out)]
    code, err = command(bench.main, argv, capsys)
    assert code == 130 and 'interrupted' in one_line(err)
    first = json.loads(out.read_text())
    assert (first['complete'], [r['seed'] for r in first['runs']]) == (False, [0])
    report = run_cli(bench.main, argv)
    assert started == [0, 1, 1] and report['complete'] is True and report['runs'][0] == first['runs'][0]

@pytest.mark.parametrize('text', ['{"common": {}, "experiments": {"baseline": {}}, "runs": []}', '[1, 2]', 'notes', ''])
def test_someone_elses_file_is_refused(synth, tmp_path, capsys, no_training, text):
    other = tmp_path/'results.json'
    other.write_text(text)
    for main, what, extra in ((train.main, 'chapter7-train', []), (bench.main, 'chapter7-bench', ['--configs', 'stock'])):
        code, err = command(main, ['--path', str(synth), *TINY, *extra, '--out', str(other)], capsys)
        assert code == 2 and f'--out {other} is not a report of {what}' in one_line(err)
    assert other.read_text() == text

def test_reports_of_other_settings_are_refused(synth, tmp_path, capsys):
    out = tmp_path/'train.json'
    run_cli(train.main, ['--path', str(synth), *TINY, '--out', str(out)])
    saved = out.read_text()
    code, err = command(train.main, ['--path', str(synth), *TINY, '--mixup', '0.4', '--out', str(out)], capsys)
    assert code == 2 and f'--out {out} holds runs made with other settings (mixup=0.0)' in one_line(err)
    code, err = command(bench.main, ['--path', str(synth), *TINY, '--configs', 'stock', '--out', str(out)], capsys)
    assert code == 2 and 'is not a report of chapter7-bench' in one_line(err)   # a train report is not a bench report
    assert out.read_text() == saved

# 2. Every output path checked before any training; an OSError in one line

@pytest.mark.parametrize('main,extra', [(train.main, []), (bench.main, ['--configs', 'stock'])])
def test_out_checked_before_training(synth, tmp_path, capsys, no_training, main, extra):
    (tmp_path/'a-file').write_text('')
    for out, msg in ((tmp_path, f'--out {tmp_path} is a folder'),
                     (tmp_path/'a-file'/'r.json', f'{tmp_path/"a-file"} is a file, not a folder')):
        code, err = command(main, ['--path', str(synth), *TINY, *extra, '--out', str(out)], capsys)
        assert code == 2 and msg in one_line(err)

def test_experiments_out_checked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = command(experiments.main, ['--only', 'baseline', '--out', str(tmp_path)], capsys, docs_from=train.TrainSettings)
    assert code == 2 and f'--out {tmp_path} is a folder' in one_line(err)

def read_only(monkeypatch, folder:Path):
    "Make `folder` read-only: with chmod, and, where that stops nothing (as root), by making files there fail"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real = tempfile.TemporaryFile
        def refuse(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == folder: raise PermissionError(errno.EACCES, 'Permission denied', str(dir))
            return real(*args, dir=dir, **kwargs)
        monkeypatch.setattr(chapter7.core.tempfile, 'TemporaryFile', refuse)

def test_read_only_folders_checked_before_training(synth, tmp_path, capsys, monkeypatch, no_training):
    ro = tmp_path/'read-only'
    read_only(monkeypatch, ro)
    try:
        cases = [(train.main, ['--out', str(ro/'train.json')], f'--out {ro/"train.json"}: cannot write in {ro}: Permission denied'),
                 (train.main, ['--out', str(tmp_path/'t.json'), '--export', str(ro/'m-{seed}.pkl'), '--runs', '2'],
                  f'--export {ro/"m-0.pkl"}: cannot write in {ro}: Permission denied'),
                 (bench.main, ['--out', str(tmp_path/'b.json'), '--configs', 'stock,fast', '--cache-dir', str(ro)],
                  f'--cache-dir {ro}: cannot write in {ro}: Permission denied')]
        for main, extra, msg in cases:
            code, err = command(main, ['--path', str(synth), *TINY, *extra], capsys)
            assert code == 2 and msg in one_line(err)
    finally: ro.chmod(0o755)

@pytest.mark.skipif(os.geteuid() == 0, reason='root writes in read-only folders: the patched test above stands in')
def test_read_only_folder_really(synth, tmp_path, capsys, no_training):
    ro = tmp_path/'read-only'; ro.mkdir(); ro.chmod(0o555)
    try:
        code, err = command(train.main, ['--path', str(synth), *TINY, '--out', str(ro/'train.json')], capsys)
        assert code == 2 and f'cannot write in {ro}: Permission denied' in one_line(err)
    finally: ro.chmod(0o755)

def test_bench_cache_dir_that_is_a_file(synth, tmp_path, capsys, no_training):
    (f := tmp_path/'cache').write_text('')
    code, err = command(bench.main, ['--path', str(synth), *TINY, '--configs', 'fast', '--cache-dir', str(f),
                                     '--out', str(tmp_path/'b.json')], capsys)
    assert code == 2 and f'--cache-dir {f}: {f} is a file, not a folder' in one_line(err)

def test_an_os_error_anywhere_is_one_line(synth, tmp_path, capsys, monkeypatch):
    bad = synth/'train'/'n01440764'/'locked.JPEG'
    def locked(*args, **kwargs): raise PermissionError(errno.EACCES, 'Permission denied', str(bad))
    monkeypatch.setattr(train, 'get_dls', locked)
    code, err = command(train.main, ['--path', str(synth), *TINY, '--out', str(tmp_path/'t.json')], capsys)
    assert code == 2 and f'Permission denied: {bad} (--path)' in one_line(err)

def test_export_full_disk_names_export(synth, tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs): raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(train.Learner, 'export', full)
    model = tmp_path/'model.pkl'
    code, err = command(train.main, ['--path', str(synth), *TINY, '--out', str(tmp_path/'t.json'), '--export', str(model)], capsys)
    assert code == 2 and f'Cannot write {model} (--export): No space left on device' in one_line(err)
    assert list(tmp_path.glob('*.pkl')) == [] and list(tmp_path.glob('*.partial*')) == []

# 3. Non-finite numbers refused

@pytest.mark.parametrize('main,args,msg', [
    (train.main, ['--wd', 'nan'], 'wd must be a finite number, got nan'),
    (train.main, ['--lr', 'inf'], 'lr must be a finite number, got inf'),
    (train.main, ['--mixup', 'inf'], 'mixup must be a finite number, got inf'),
    (train.main, ['--smoothing', 'nan'], 'smoothing must be a finite number'),
    (train.main, ['--valid-pct', 'nan'], 'valid_pct must be a finite number'),
    (bench.main, ['--lr', 'nan'], 'lr must be a finite number, got nan'),
    (bench.main, ['--tuned-lr', 'inf'], 'tuned_lr must be a finite number, got inf'),
    (experiments.main, ['--lr', 'nan', '--only', 'baseline'], 'lr must be a finite number, got nan')])
def test_non_finite_numbers_refused(tmp_path, capsys, monkeypatch, main, args, msg):
    monkeypatch.chdir(tmp_path)
    kwargs = dict(docs_from=train.TrainSettings) if main is experiments.main else {}
    code, err = command(main, ['--path', str(tmp_path/'no-data'), *args], capsys, **kwargs)
    assert code == 2 and msg in one_line(err)
    assert list(tmp_path.iterdir()) == []   # nothing written

# 4. --only that names nothing

@pytest.mark.parametrize('only', ['', ',', ' , '])
def test_only_naming_nothing_is_an_error(tmp_path, capsys, monkeypatch, only):
    monkeypatch.chdir(tmp_path)
    code, err = command(experiments.main, ['--only', only, '--runs', '1'], capsys, docs_from=train.TrainSettings)
    assert code == 2 and f"--only {only!r} names no experiment" in one_line(err)
    assert 'baseline, no-normalize' in err and 'leaderboard-80' in err
    assert list(tmp_path.iterdir()) == []

# 5. --verify

def with_a_broken_image(tmp_path):
    data = make_synthetic_imagenette(tmp_path/'broken', n_train=6, n_valid=2, n_classes=2, size=48)
    bad = sorted((data/'train').rglob('*.JPEG'))[0]
    bad.write_bytes(b'not an image')
    return data, bad

@pytest.mark.parametrize('main,extra', [(train.main, []), (bench.main, ['--configs', 'stock,fast'])])
def test_verify_lists_unreadable_images_first(tmp_path, capsys, monkeypatch, main, extra):
    data, bad = with_a_broken_image(tmp_path)
    monkeypatch.setattr(bench, 'time_cache_build', lambda *a: pytest.fail('built the cache before verifying'))
    code, err = command(main, ['--path', str(data), *TINY, *extra, '--verify', '--out', str(tmp_path/'r.json'),
                               '--cache-dir' if main is bench.main else '--seed', str(tmp_path/'c') if main is bench.main else '0'],
                        capsys)
    assert code == 2 and '1 unreadable image' in one_line(err) and bad.name in err

def test_train_verifies_once(synth, tmp_path, monkeypatch):
    asked, real = [], train.get_dls
    def noting(*args, verify=False, **kwargs): asked.append(verify); return real(*args, verify=verify, **kwargs)
    monkeypatch.setattr(train, 'get_dls', noting)
    run_cli(train.main, ['--path', str(synth), *TINY, '--runs', '2', '--verify', '--out', str(tmp_path/'t.json')])
    assert asked == [True, False]

# 6. The help, and the data options passed to get_dls

def test_train_help_says_what_it_trains_on():
    text = ' '.join(parser_for(train.main).format_help().split())   # as one line, however argparse wraps it
    assert 'your own folder' in text and 'xresnet18, xresnet34, xresnet50, xresnet101, xse_resnext50' in text
    assert '`ARCHS`' not in text and 'relu, mish' in text and 'avg, max' in text
    for opt in ('--valid-name', '--valid-pct', '--presize', '--verify'): assert opt in text
    assert '--verify' in parser_for(bench.main).format_help()

def test_data_options_go_to_get_dls(tmp_path, capsys, monkeypatch):
    seen = []
    def recording(*args, **kwargs): seen.append(kwargs); raise ValueError('stop here')
    monkeypatch.setattr(train, 'get_dls', recording)
    base = ['--path', str(tmp_path), *TINY, '--out', str(tmp_path/'t.json')]
    command(train.main, [*base, '--valid-name', 'holdout', '--presize', '40'], capsys)
    command(train.main, [*base, '--valid-pct', '0.2'], capsys)
    command(train.main, base, capsys)
    assert (seen[0]['valid_name'], seen[0]['presize'], 'valid_pct' in seen[0]) == ('holdout', 40, False)
    assert (seen[1]['valid_pct'], 'valid_name' in seen[1]) == (0.2, False)
    assert ('valid_name' in seen[2], 'valid_pct' in seen[2], seen[2]['presize']) == (False, False, None)   # get_dls's defaults

@pytest.mark.parametrize('args,msg', [(['--valid-pct', '1.5'], 'valid_pct is the share of the images kept for validation, in (0, 1)'),
                                      (['--valid-pct', '0'], 'in (0, 1)'), (['--presize', '0'], 'presize must be a positive whole number'),
                                      (['--valid-name', ' '], "valid_name is the validation folder's name")])
def test_data_options_checked(tmp_path, capsys, args, msg, no_training):
    code, err = command(train.main, ['--path', str(tmp_path), *args, '--out', str(tmp_path/'t.json')], capsys)
    assert code == 2 and msg in one_line(err)

def test_a_failed_clean_up_never_hides_the_first_error(tmp_path):
    "A full disk, then a read-only one for the clean-up: the error raised is still the full disk"
    from unittest import mock
    from chapter7.core import save_atomically
    def save(p): p.write_text('x'); raise OSError(errno.ENOSPC, 'No space left on device')
    with mock.patch.object(Path, 'unlink', side_effect=OSError(errno.EROFS, 'Read-only file system')):
        with pytest.raises(OSError, match='No space left'): save_atomically(tmp_path/'a.json', save)
