"""ECG image → WFDB signals: a colour-threshold digitizer (``naive``) and a small U-Net (``unet``), one vectoriser."""
