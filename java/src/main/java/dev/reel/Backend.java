package dev.reel;

/** Where kernels run: the CPU reference backend, or a CUDA device. */
public enum Backend {
    CPU,
    CUDA
}
