# CUDA detection. With nvcc present, libreel gets the CUDA backend: machine code
# for sm_80 (Ampere) and sm_90 (Hopper) plus compute_90 PTX that newer GPUs JIT.
# Hopper-only instructions (wgmma, TMA) go in sources built for sm_90a through
# reel_hopper_sources(). cudart is linked statically so that libreel loads on
# machines without an NVIDIA driver and reports "no CUDA device" there.
option(REEL_CUDA "Build the CUDA backend when nvcc is found" ON)
set(REEL_HAVE_CUDA OFF)

if(REEL_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Must be set before enable_language(CUDA) and before any target exists.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80-real 90-real 90-virtual)
    endif()
    set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(REEL_HAVE_CUDA ON)
    message(STATUS "Reel: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    message(STATUS "Reel: CUDA backend OFF (no nvcc found); CUDA entry points report 'built without CUDA'")
  endif()
else()
  message(STATUS "Reel: CUDA backend OFF (REEL_CUDA=OFF)")
endif()
