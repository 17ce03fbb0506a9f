"The fast path's cache on disk (`chapter7.fast_data`): a folder it cannot write, content it must not trust, leftovers"
import errno, os, subprocess, sys, time, warnings
from pathlib import Path
import numpy as np, pytest
from PIL import Image
import chapter7.fast_data as fast_data
from chapter7.data import make_synthetic_imagenette, imagenette_files, get_dls
from chapter7.fast_data import (presize_image, presized_images, presized_strips, presized_arrays, cache_files,
                                clear_cache)

@pytest.fixture
def synth(tmp_path):
    "A small dataset of its own for each test, which may change its images"
    return make_synthetic_imagenette(tmp_path/'data', n_train=4, n_valid=2, n_classes=2, size=48)

@pytest.fixture
def files(synth): return imagenette_files(synth)

def cache_warnings(f) -> tuple:
    "`f()`, and the messages of the warnings about the cache it gave"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        res = f()
    return res, [str(x.message) for x in w if 'cache' in str(x.message)]

def expected_squares(files, size) -> np.ndarray: return np.stack([presize_image(f, size) for f in files])

def raiser(code:int):
    def f(*args, **kwargs): raise OSError(code, os.strerror(code))
    return f

# A folder that cannot be written: one warning, before decoding, and the images in memory

def test_read_only_folder_warns_before_decoding_and_carries_on(files, tmp_path, monkeypatch):
    folder = tmp_path/'ro'; folder.mkdir()
    if os.geteuid() != 0: folder.chmod(0o555)
    else:   # root writes anywhere: make every write there fail as a read-only disk does, clean-up included
        monkeypatch.setattr(fast_data.tempfile, 'TemporaryFile', raiser(errno.EROFS))
        monkeypatch.setattr(np, 'save', raiser(errno.EROFS))
        monkeypatch.setattr(Path, 'unlink', raiser(errno.EROFS))
    decoded_after_warning = []
    def presize(fn, size):
        decoded_after_warning.append(any('Cannot write' in str(x.message) for x in w))
        return expected_squares([fn], size)[0]
    monkeypatch.setattr(fast_data, 'presize_image', presize)
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            images, squares = presized_arrays(files, 32, folder)
    finally: folder.chmod(0o755)
    msgs = [str(x.message) for x in w if 'cache' in str(x.message)]
    assert len(msgs) == 1, msgs   # one warning for the squares, the verdict and the strips
    assert f"Cannot write the fast path's cache in {folder}" in msgs[0]
    assert 'in memory' in msgs[0] and 'cache_dir=' in msgs[0] and '$CHAPTER7_CACHE' in msgs[0]
    assert decoded_after_warning and all(decoded_after_warning)   # said before the first image was decoded
    np.testing.assert_array_equal(images.numpy(), expected_squares(files, 32))
    assert squares is not None and list(folder.iterdir()) == []

def test_read_only_folder_get_dls_trains(synth, tmp_path):
    if os.geteuid() == 0: pytest.skip('root writes in a read-only folder: the test above simulates it')
    folder = tmp_path/'ro'; folder.mkdir(); folder.chmod(0o555)
    try: dls, msgs = cache_warnings(lambda: get_dls(4, 32, path=synth, fast=True, cache_dir=folder, device='cpu'))
    finally: folder.chmod(0o755)
    assert len(msgs) == 1 and str(folder) in msgs[0] and 'Permission denied' in msgs[0], msgs
    assert dls.one_batch()[0].shape == (4, 3, 32, 32)

@pytest.mark.parametrize('code', [errno.ENOSPC, errno.EROFS])
def test_failed_write_warns_and_clean_up_never_masks_it(files, tmp_path, monkeypatch, code):
    folder = tmp_path/'cache'
    def half_written(fn, arr):   # a disk that fills up (or turns read-only) half way through the file
        Path(fn).write_bytes(b'\x93NUMPY half'); raise OSError(code, os.strerror(code), str(fn))
    monkeypatch.setattr(np, 'save', half_written)
    real_unlink = Path.unlink
    def unlink(self, missing_ok=False):   # and then refuses the clean-up too
        if code == errno.EROFS: raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, 'unlink', unlink)
    arr, msgs = cache_warnings(lambda: presized_images(files, 24, folder))
    np.testing.assert_array_equal(arr, expected_squares(files, 24))
    assert len(msgs) == 1 and str(folder) in msgs[0] and os.strerror(code) in msgs[0], msgs
    monkeypatch.undo()
    partials = [f.name for f in folder.iterdir() if '.partial' in f.name]
    assert partials == ([] if code == errno.ENOSPC else partials)   # removed when the disk allows it

@pytest.mark.parametrize('where', ['file', 'under a file'])
def test_cache_dir_that_is_not_a_folder(synth, tmp_path, where):
    (tmp_path/'taken').write_text('not a folder')
    folder = tmp_path/'taken' if where == 'file' else tmp_path/'taken'/'cache'
    dls, msgs = cache_warnings(lambda: get_dls(4, 32, path=synth, fast=True, cache_dir=folder, device='cpu'))
    assert len(msgs) == 1 and f'cache in {folder}' in msgs[0], msgs
    if where == 'file': assert 'a file, not a folder' in msgs[0]
    assert dls.one_batch()[0].shape == (4, 3, 32, 32)
    assert (tmp_path/'taken').read_text() == 'not a folder'

# Content, not names and dates: a replaced image, a zeroed or wrong-shaped cache

def replace_keeping_size_and_date(fn:Path, colour:int):
    "Replace image `fn` by a flat one of the same number of bytes and the same modification time"
    st, tmp = fn.stat(), fn.with_suffix('.tmp.jpg')
    Image.fromarray(np.full((48, 48, 3), colour, np.uint8)).save(tmp)
    data = tmp.read_bytes(); tmp.unlink()
    assert len(data) < st.st_size
    fn.write_bytes(data + bytes(st.st_size - len(data)))   # JPEG readers ignore what follows the image
    os.utime(fn, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (fn.stat().st_size, fn.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)

def test_replaced_image_is_seen_and_its_old_build_removed(files, tmp_path):
    cache = tmp_path/'cache'
    old = presized_images(files, 24, cache)
    (old_build,) = cache.glob('presized-24-*.npy')
    replace_keeping_size_and_date(files[3], 200)
    new = presized_images(files, 24, cache)
    np.testing.assert_array_equal(new[3], presize_image(files[3], 24))
    assert not np.array_equal(new[3], old[3])
    np.testing.assert_array_equal(new[:3], old[:3])
    assert [f.name for f in cache.glob('presized-24-*.npy')] != [old_build.name]
    assert len(list(cache.glob('presized-24-*.npy'))) == 1   # the old build is gone

def test_zeroed_cache_is_named_and_rebuilt(files, tmp_path):
    cache = tmp_path/'cache'
    arr = presized_images(files, 24, cache)
    pixels = presized_strips(files, 24, 36, cache)[0]
    (npy,), (npz,) = cache.glob('presized-*.npy'), cache.glob('strips-*.npz')
    header = len(npy.read_bytes()) - arr.nbytes
    npy.write_bytes(npy.read_bytes()[:header] + bytes(arr.nbytes))   # a readable file of black images
    got, msgs = cache_warnings(lambda: presized_images(files, 24, cache))
    np.testing.assert_array_equal(got, arr)
    assert len(msgs) == 1 and f'The cache {npy} is damaged' in msgs[0] and 'checksum' in msgs[0], msgs
    with open(npz, 'wb') as f:   # a readable archive of the right shapes, all zeros
        np.savez(f, pixels=np.zeros_like(pixels), lengths=np.zeros(len(files), int), portrait=np.zeros(len(files), bool))
    (got, *_), msgs = cache_warnings(lambda: presized_strips(files, 24, 36, cache))
    np.testing.assert_array_equal(got, pixels)
    assert len(msgs) == 1 and f'The cache {npz} is damaged' in msgs[0], msgs
    assert cache_warnings(lambda: presized_images(files, 24, cache))[1] == []   # good again

def test_wrong_shape_cache_is_named_and_rebuilt(synth, files, tmp_path):
    cache = tmp_path/'cache'
    get_dls(4, 32, path=synth, fast=True, cache_dir=cache, device='cpu')
    (npy,) = cache.glob('presized-160-*.npy')
    with open(npy, 'wb') as f: np.save(f, np.zeros((len(files), 8, 8, 3), np.uint8))
    dls, msgs = cache_warnings(lambda: get_dls(4, 32, path=synth, fast=True, cache_dir=cache, device='cpu'))
    assert len(msgs) == 1 and f'The cache {npy} is damaged' in msgs[0], msgs
    assert f'not uint8 ({len(files)}, 160, 160, 3)' in msgs[0]
    assert dls.valid.images.shape == (len(files), 160, 160, 3)
    np.testing.assert_array_equal(dls.valid.images[0].numpy(), presize_image(files[0], 160))

def test_verdict_file_with_garbage_is_rebuilt(files, tmp_path):
    cache = tmp_path/'cache'
    presized_arrays(files, 24, cache)
    (txt,) = cache.glob('square-*.txt')
    txt.write_text('Maybe')
    (_, squares), msgs = cache_warnings(lambda: presized_arrays(files, 24, cache))
    assert squares is not None and len(msgs) == 1 and str(txt) in msgs[0], msgs

# What the cache leaves behind: replaced builds, killed builds' partial files, older versions' files

def dead_pid() -> int:
    p = subprocess.Popen(['true']); p.wait()
    return p.pid

def test_killed_builds_partial_files_are_removed_by_the_next_build(files, tmp_path):
    cache = tmp_path/'cache'
    presized_images(files[:4], 24, cache)
    (build,) = cache.glob('presized-*.npy')
    killed = cache/f'{build.stem}.{dead_pid()}-0badc0de.partial.npy'           # named as before machines were
    writing = cache/f'{build.stem}.{fast_data._HOST}-{os.getppid()}-1badc0de.partial.npy'   # a live process's
    other = '0000' if fast_data._HOST != '0000' else 'ffff'
    elsewhere = cache/f'{build.stem}.{other}-{dead_pid()}-2badc0de.partial.npy'  # another machine's: can't tell
    forgotten = cache/f'{build.stem}.{other}-{dead_pid()}-3badc0de.partial.npy'  # ... unless a day old
    for f in (killed, writing, elsewhere, forgotten): f.write_bytes(b'half a build')
    os.utime(forgotten, (time.time() - 2 * 86400,) * 2)
    assert cache_files(cache).set_index('file').stale.to_dict() == {
        build.name: False, killed.name: True, writing.name: False, elsewhere.name: False, forgotten.name: True}
    presized_images(files, 24, cache)   # another build, written next to them
    assert [f.exists() for f in (build, killed, writing, elsewhere, forgotten)] == [True, False, True, True, False]

def test_kill_9_during_a_build(files, tmp_path):
    "A build killed while it writes leaves its partial file, which the next build removes"
    cache = tmp_path/'cache'
    script = (f"import numpy as np, time, pathlib\n"
              f"from chapter7.fast_data import presized_images\n"
              f"def slow_save(fn, arr): pathlib.Path(fn).write_bytes(b'half'); time.sleep(120)\n"
              f"np.save = slow_save\n"
              f"presized_images([pathlib.Path(f) for f in {[str(f) for f in files]!r}], 24, {str(cache)!r})\n")
    p = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if list(cache.glob('*.partial.npy')) or p.poll() is not None: break
            time.sleep(0.1)
        (partial,) = cache.glob('*.partial.npy')
    finally: p.kill(); p.wait()   # SIGKILL: no clean-up runs
    assert partial.exists() and cache_files(cache).set_index('file').stale[partial.name]
    presized_images(files, 24, cache)
    assert not partial.exists() and len(list(cache.glob('presized-*.npy'))) == 1

def test_clear_cache_stale_only(files, tmp_path):
    cache = tmp_path/'cache'
    presized_images(files, 24, cache)
    (first_build,) = cache.glob('presized-*.npy')
    older_version = cache/'presized-24-12-0123456789abcdef0123.npy'   # named as before content keys
    older_version.write_bytes(b'x' * 1000)
    (cache/'notes.txt').write_text('mine')
    replace_keeping_size_and_date(files[0], 10)
    with open(first_build, 'rb') as f: kept = f.read()
    presized_images(files, 24, cache)
    assert not first_build.exists()   # replaced on writing its successor
    first_build.write_bytes(kept)     # as if two processes built at once: the older is stale
    os.utime(first_build, (time.time() - 60, time.time() - 60))
    listed = cache_files(cache)
    assert sorted(listed.file[listed.stale]) == sorted([first_build.name, older_version.name])
    freed = clear_cache(cache, stale_only=True)
    assert freed == pytest.approx(listed.MB[listed.stale].sum())
    assert sorted(f.name for f in cache.iterdir()) == sorted(['notes.txt', *listed.file[~listed.stale]])
    assert presized_images(files, 24, cache)[0].shape == (24, 24, 3)
    assert clear_cache(cache, stale_only=True) == 0 and clear_cache(cache) > 0
    assert [f.name for f in cache.iterdir()] == ['notes.txt']
