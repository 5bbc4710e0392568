# SPDX-License-Identifier: BSD-3-Clause
"""Fluorescence lifetimes from decay histograms (sync -> photon delay), by Poisson maximum likelihood.

Two kinds of fit (e.g. Lakowicz, "Principles of Fluorescence Spectroscopy", ch. 4; Maus et al.,
Anal. Chem. 73, 2078 (2001) on why Poisson ML rather than least squares at low counts):

fit_tail            ``A1 exp(-t/tau1) [+ A2 exp(-t/tau2)] + bg`` on the bins after the peak, where
                    the instrument response (IRF) no longer matters
fit_reconvolution   the same decay, made periodic with the laser period, convolved with a Gaussian
                    (analytic) or measured IRF, plus a flat background
fit_decay_model     the decay the emulator and a quantum dot on a SPAD make: exciton, biexciton
                    cascade, the detector's afterpulses of the pulse's own photons, background
channel_decay       its steps on one channel, kept for a joint fit; decay_result its LifetimeFit
fit_joint_decay     the decay model on several channels at once, one lifetime (and tau_ap) shared
fit_gap_afterpulses the afterpulse time constant from a channel's successive-event gaps
LifetimeFit         their result
emg_periodic        the exponentially modified Gaussian, summed over earlier pulses
decay_histogram     sync -> photon delays binned
periodic_decay      one period, rotated to start at its quietest point (``quiet_bin``)
"""

from ._cascade import ChannelDecay, afterpulse_density, channel_decay, decay_result, fit_decay_model
from ._decay import decay_histogram, periodic_decay, quiet_bin
from ._gaps import GapAfterpulses, fit_gap_afterpulses
from ._joint import JointDecayFit, fit_joint_decay
from ._reconvolution import emg_periodic, fit_reconvolution
from ._result import LifetimeFit
from ._tail import fit_tail

__all__ = [
    "ChannelDecay",
    "GapAfterpulses",
    "JointDecayFit",
    "LifetimeFit",
    "afterpulse_density",
    "channel_decay",
    "decay_result",
    "fit_decay_model",
    "fit_gap_afterpulses",
    "fit_joint_decay",
    "decay_histogram",
    "emg_periodic",
    "fit_reconvolution",
    "fit_tail",
    "periodic_decay",
    "quiet_bin",
]
