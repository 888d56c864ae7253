"""Evaluation of digitized ECGs: the Challenge 2024 and Kaggle 2025 metrics, clinical interval errors, HTML reports.

Library entry point: :func:`eval.score.score_folders` returns a :class:`eval.score.RunResult`.
"""

from .score import RecordScore, RunResult, score_folders

__all__ = ["RecordScore", "RunResult", "score_folders"]
