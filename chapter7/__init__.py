"""Helpers for chapter 7 of *Deep Learning for Coders with fastai and PyTorch*, one module per job.

The chapter's lessons, in its order: `data` (Imagenette, `get_dls`), `normalization`, `progressive`, `tta`, `mixup`,
`label_smoothing`, `questionnaire`. Extras beyond the chapter: `transfer`, `augment`. The machinery they stand on:
`core` (checks, GPU sync, saving), `learner` (seeded learners, `fit_and_score`), `fast_data` (the cached on-device
data path), `fast_train` (faster training steps), `cli`, `train`, `bench`, `experiments` (the commands) and `results`
(the committed measurements).
"""
__version__ = "0.0.1"
