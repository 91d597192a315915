package dev.reel;

/** What the CPU backend sees of the host: cores, the threads it uses, and vector features. */
public record CpuInfo(int logicalCores, int threads, boolean avx2, boolean avx512f, boolean avx512bf16) {}
