"""Build the parallel-tempering kernel ``ext/ptmc.pyx`` as ``spinglass_ml._ptmc``.

Environment switches:
  SPINGLASS_NO_OPENMP=1   build without OpenMP (compilers without it, e.g. Apple clang): one thread only.
  SPINGLASS_CFLAGS="..."  extra compiler flags, e.g. "-march=native" on a machine that builds and runs
                          (opt-in: a binary tied to one CPU breaks clusters whose nodes differ).
"""

import os
import shlex

from Cython.Build import cythonize
from setuptools import Extension, setup

openmp = os.environ.get("SPINGLASS_NO_OPENMP", "0") in ("", "0")
# -fno-trapping-math lets GCC if-convert the float compares of the Metropolis loop and vectorise it;
# it assumes no floating-point traps and changes no result. No FMA contraction, so every instruction-set
# path of the kernel gives bit-identical results.
compile_args = ["-O3", "-fno-trapping-math", "-ffp-contract=off"] + (["-fopenmp"] if openmp else [])
compile_args += shlex.split(os.environ.get("SPINGLASS_CFLAGS", ""))
link_args = ["-fopenmp"] if openmp else []

ext = Extension(
    "spinglass_ml._ptmc",
    ["ext/ptmc.pyx"],
    include_dirs=["ext"],
    depends=["ext/ptmc_sweep.h", "ext/ptmc_multispin.h"],
    extra_compile_args=compile_args,
    extra_link_args=link_args,
)

setup(ext_modules=cythonize([ext], compiler_directives={"language_level": 3}, compile_time_env={}))
