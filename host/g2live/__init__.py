"""g2live: FPGA-streaming real-time photon correlator.

Layers: ``g2live.core`` (C twins of the on-chip blocks), ``g2live.emulator`` (photon physics),
``g2live.io`` (file formats), ``g2live.analysis``, ``g2live.device`` / ``g2live.stream`` /
``g2live.client`` (the running system) and ``g2live.cli`` (the ``g2live`` command).
"""

__version__ = "0.1.0"
