// host_emulation.h — runs a CUDA kernel's block as host C++ (never under nvcc).
//
// Why: most machines that build Reel have no GPU, yet the CUDA kernels must be
// tested there. A kernel written against kernels/attention/ptx.cuh compiles a
// second time as host C++; this file supplies what the device would: a block's
// threads, its shared memory, barriers and the per-warp exchange that the
// emulated warp collectives (mma.sync, ldmatrix, shfl) need.
//
// Model:
//  - each thread of a block is a fiber (ucontext) with its own stack; a block's
//    fibers run on one host thread and switch only at barriers, so a block's
//    execution is deterministic; several blocks run on several host threads;
//  - __syncthreads is a barrier of all threads of the block; a warp collective
//    is a barrier of the warp's 32 lanes around an exchange buffer (double
//    buffered by the collective's parity, so lanes never need a second barrier);
//  - a barrier that can never complete (a thread exited or waits elsewhere) is
//    reported and aborts the test instead of hanging;
//  - dynamic shared memory is one buffer per block, filled with a poison byte
//    pattern at block start so that reading unwritten shared memory shows;
//  - cp.async copies are queued per thread and land only when a wait_group
//    retires their group, so a missing wait shows up as stale data.
#pragma once

#if defined(__CUDACC__)
#error "host_emulation.h is the host stand-in for the device; nvcc builds the real kernels"
#endif

#include <ucontext.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace reel {
namespace emu {

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

struct PendingCopy {
    void* dst;
    const void* src;  // nullptr: zero fill
    int bytes;
    int group;  // -1 while not committed
};

struct Fiber {
    ucontext_t ctx;
    std::unique_ptr<char[]> stack;
    unsigned tid = 0;
    bool done = false;
    uint64_t collectives = 0;  // warp collectives executed (buffer parity)
    std::vector<PendingCopy> copies;
    int next_group = 0;
};

struct Barrier {
    int arrived = 0;
    uint64_t generation = 0;
};

// One exchange slot per lane: room for every operand a collective passes.
struct LaneSlot {
    uint64_t words[12];
};

struct Block {
    dim3 grid, block_idx;
    unsigned threads = 0;
    std::vector<Fiber> fibers;
    std::vector<char> shared;
    Barrier block_barrier;
    std::vector<Barrier> warp_barriers;
    std::vector<LaneSlot> exchange;  // [2][warps][32]
    unsigned current = 0;
    unsigned alive = 0;
    ucontext_t host;
    std::function<void()> body;
    const char* kernel = "";
};

inline Block*& this_block() {
    static thread_local Block* b = nullptr;
    return b;
}

inline Fiber& self() {
    Block* b = this_block();
    return b->fibers[b->current];
}

[[noreturn]] inline void die(const char* what) {
    Block* b = this_block();
    std::fprintf(stderr, "host emulation of %s, block (%u,%u,%u) thread %u: %s\n", b ? b->kernel : "?",
                 b ? b->block_idx.x : 0, b ? b->block_idx.y : 0, b ? b->block_idx.z : 0,
                 b ? b->fibers[b->current].tid : 0, what);
    std::abort();
}

// Switches to the next fiber of the block that has not finished.
inline void yield() {
    Block* b = this_block();
    const unsigned n = b->threads;
    const unsigned from = b->current;
    for (unsigned step = 1; step <= n; ++step) {
        const unsigned to = (from + step) % n;
        if (!b->fibers[to].done) {
            if (to == from) return;
            b->current = to;
            swapcontext(&b->fibers[from].ctx, &b->fibers[to].ctx);
            b->current = from;
            return;
        }
    }
}

inline void wait_barrier(Barrier& bar, int expected, const char* what) {
    Block* b = this_block();
    if (++bar.arrived == expected) {
        bar.arrived = 0;
        ++bar.generation;
        return;
    }
    const uint64_t gen = bar.generation;
    uint64_t spins = 0;
    while (bar.generation == gen) {
        if (static_cast<int>(b->alive) < expected) die(what);
        // Others may run many collectives before they reach this barrier; only
        // an absurd number of rounds without completion is a deadlock.
        if (++spins > (1ull << 28)) die(what);
        yield();
    }
}

inline void syncthreads() {
    wait_barrier(this_block()->block_barrier, static_cast<int>(this_block()->threads),
                 "__syncthreads: not every thread of the block reaches this barrier");
}

inline unsigned lane_id() { return self().tid & 31u; }
inline unsigned warp_id() { return self().tid >> 5; }

// The exchange slots of this warp for the current collective; the caller writes
// its own slot, calls warp_exchange(), then reads any lane's slot.
inline LaneSlot* warp_slots() {
    Block* b = this_block();
    const unsigned warps = b->threads / 32;
    return &b->exchange[((self().collectives & 1) * warps + warp_id()) * 32];
}

inline void warp_exchange() {
    Block* b = this_block();
    wait_barrier(b->warp_barriers[warp_id()], 32,
                 "warp collective: not every lane of the warp reaches it (divergent .sync.aligned)");
}

inline void warp_done() { ++self().collectives; }

inline void fiber_entry(unsigned lo, unsigned hi) {
    auto* b = reinterpret_cast<Block*>((static_cast<uintptr_t>(hi) << 32) | lo);
    b->body();
    Fiber& f = b->fibers[b->current];
    if (!f.copies.empty()) {
        // Copies never waited for: the hardware lands them eventually; so do we.
        for (auto& c : f.copies) {
            if (c.src) std::memcpy(c.dst, c.src, c.bytes);
            else std::memset(c.dst, 0, c.bytes);
        }
        f.copies.clear();
    }
    f.done = true;
    --b->alive;
    if (b->alive == 0) setcontext(&b->host);
    yield();  // never comes back: this fiber is done
    die("a finished thread was resumed");
}

struct Worker {
    Block block;
    std::vector<std::unique_ptr<char[]>> stacks;
};

constexpr size_t kStackBytes = 256 * 1024;

// Runs one block: every thread executes body() as a fiber.
inline void run_block(Worker& w, dim3 grid, dim3 idx, unsigned threads, size_t smem_bytes,
                      const std::function<void()>& body, const char* kernel) {
    Block& b = w.block;
    b.grid = grid;
    b.block_idx = idx;
    b.threads = threads;
    b.kernel = kernel;
    b.body = body;
    b.shared.assign(smem_bytes, static_cast<char>(0xA5));  // poison: not zeros, not a tidy float
    b.block_barrier = Barrier{};
    b.warp_barriers.assign(threads / 32, Barrier{});
    b.exchange.assign(2 * (threads / 32) * 32, LaneSlot{});
    b.fibers.clear();
    b.fibers.resize(threads);
    while (w.stacks.size() < threads) w.stacks.emplace_back(new char[kStackBytes]);
    const uintptr_t p = reinterpret_cast<uintptr_t>(&b);
    for (unsigned t = 0; t < threads; ++t) {
        Fiber& f = b.fibers[t];
        f.tid = t;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = w.stacks[t].get();
        f.ctx.uc_stack.ss_size = kStackBytes;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, reinterpret_cast<void (*)()>(&fiber_entry), 2, static_cast<unsigned>(p & 0xFFFFFFFFu),
                    static_cast<unsigned>(p >> 32));
    }
    b.alive = threads;
    b.current = 0;
    this_block() = &b;
    swapcontext(&b.host, &b.fibers[0].ctx);
    this_block() = nullptr;
}

// Launches body over grid × threads (1-D blocks of a multiple of 32 threads),
// blocks spread over up to `host_threads` host threads.
inline void launch(dim3 grid, unsigned threads, size_t smem_bytes, const std::function<void()>& body,
                   const char* kernel, unsigned host_threads = 0) {
    if (threads == 0 || threads % 32 != 0 || threads > 1024) {
        std::fprintf(stderr, "host emulation of %s: block of %u threads\n", kernel, threads);
        std::abort();
    }
    const uint64_t blocks = static_cast<uint64_t>(grid.x) * grid.y * grid.z;
    if (host_threads == 0) host_threads = std::thread::hardware_concurrency();
    if (host_threads == 0) host_threads = 1;
    if (host_threads > blocks) host_threads = static_cast<unsigned>(blocks ? blocks : 1);
    std::atomic<uint64_t> next{0};
    auto work = [&] {
        Worker w;
        for (uint64_t i; (i = next.fetch_add(1)) < blocks;) {
            dim3 idx;
            idx.x = static_cast<unsigned>(i % grid.x);
            idx.y = static_cast<unsigned>((i / grid.x) % grid.y);
            idx.z = static_cast<unsigned>(i / (static_cast<uint64_t>(grid.x) * grid.y));
            run_block(w, grid, idx, threads, smem_bytes, body, kernel);
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < host_threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
}

// ---- what the kernel sees -------------------------------------------------

inline unsigned thread_x() { return self().tid; }
inline unsigned block_x() { return this_block()->block_idx.x; }
inline unsigned block_y() { return this_block()->block_idx.y; }
inline unsigned block_z() { return this_block()->block_idx.z; }
inline char* shared_memory() { return this_block()->shared.data(); }

// cp.async: queued per thread, landed by wait_group.
inline void async_copy(void* dst, const void* src, int bytes) {
    self().copies.push_back(PendingCopy{dst, src, bytes, -1});
}

inline void async_commit() {
    Fiber& f = self();
    for (auto& c : f.copies) {
        if (c.group < 0) c.group = f.next_group;
    }
    ++f.next_group;
}

// Completes every committed group except the `keep` most recent ones.
inline void async_wait(int keep) {
    Fiber& f = self();
    const int limit = f.next_group - keep;  // groups below this must be complete
    std::vector<PendingCopy> rest;
    for (auto& c : f.copies) {
        if (c.group >= 0 && c.group < limit) {
            if (c.src) std::memcpy(c.dst, c.src, c.bytes);
            else std::memset(c.dst, 0, c.bytes);
        } else {
            rest.push_back(c);
        }
    }
    f.copies.swap(rest);
}

}  // namespace emu
}  // namespace reel
