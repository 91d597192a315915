// hd.h — what lets one source serve as CUDA device code and as host C++.
// REEL_HD marks functions that the CPU backend and the CUDA kernels share.
#pragma once

#if defined(__CUDACC__)
#define REEL_HD __host__ __device__ __forceinline__
#else
#define REEL_HD inline
#endif
