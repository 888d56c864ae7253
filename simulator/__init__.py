"""Synthetic paper-ECG imaging: WFDB records → printed pages → photographed 3D sheets, with exact ground truth."""

__version__ = "0.1.0"
