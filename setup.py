"""Build the C core (cext/src, plain C) and its thin Cython binding as ``g2live._core``.

setuptools is the build back-end because an editable install (`pip install -e .`) then builds
the extension in place once, with no build tool needed at import time (meson-python's editable
mode rebuilds on import and needs ninja in the environment).
"""

from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

core = Extension(
    "g2live._core",
    sources=["cext/_core.pyx", *sorted(glob("cext/src/*.c"))],
    include_dirs=["cext/include", "cext/src", np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-strict-aliasing"],
)

# cext/ holds g2l_core.pxd, the C declarations the binding cimports.
setup(ext_modules=cythonize([core], include_path=["cext"], language_level=3,
                            compiler_directives={"boundscheck": False}))
