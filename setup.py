"""Build the C core (cext/src, plain C) and its thin Cython binding as ``g2live._core``, and put
the RTL with its Verilator harness into wheels as ``g2live/_hw``.

setuptools is the build back-end because an editable install (`pip install -e .`) then builds
the extension in place once, with no build tool needed at import time (meson-python's editable
mode rebuilds on import and needs ninja in the environment).
"""

from glob import glob
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

core = Extension(
    "g2live._core",
    sources=["cext/_core.pyx", *sorted(glob("cext/src/*.c"))],
    include_dirs=["cext/include", "cext/src", np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-strict-aliasing"],
)

# The hardware tree g2live.tools.rtl looks for: the RTL, its file lists, the model's harness and
# the generated C contract the harness takes its register addresses from.
HW_FILES = {"hw/rtl": ("*.sv", "*.svh", "*.f"), "sim/harness": ("*.cpp", "*.h"),
            "cext/include": ("g2l_contract.h",)}


class BuildPyWithHw(build_py):
    """Copy HW_FILES into the wheel under g2live/_hw/ (same relative paths), so the Verilator model
    and synthesis work from an installed package; an editable install reads the checkout."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for rel, patterns in HW_FILES.items():
            dest = Path(self.build_lib, "g2live", "_hw", rel)
            self.mkpath(str(dest))
            for pattern in patterns:
                for src in sorted(Path(rel).glob(pattern)):
                    self.copy_file(str(src), str(dest / src.name))


# cext/ holds g2l_core.pxd, the C declarations the binding cimports.
setup(
    ext_modules=cythonize([core], include_path=["cext"], language_level=3,
                          compiler_directives={"boundscheck": False}),
    cmdclass={"build_py": BuildPyWithHw},
)
