#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace reel {
namespace {

thread_local bool in_pool_task = false;

class Pool {
public:
    ~Pool() { resize(0); }

    int size() {
        std::lock_guard<std::mutex> lock(call_mutex_);
        return static_cast<int>(workers_.size()) + 1;
    }

    void set_size(int threads) {
        std::lock_guard<std::mutex> lock(call_mutex_);
        resize(std::max(threads, 1) - 1);
    }

    void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
        if (n <= 0) return;
        if (in_pool_task) {
            fn(0, n);
            return;
        }
        std::lock_guard<std::mutex> call_lock(call_mutex_);
        const int64_t max_chunks = static_cast<int64_t>(workers_.size()) + 1;
        const int64_t chunks = std::max<int64_t>(1, std::min(max_chunks, n / std::max<int64_t>(grain, 1)));
        if (chunks == 1) {
            in_pool_task = true;
            fn(0, n);
            in_pool_task = false;
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            task_ = &fn;
            n_ = n;
            chunks_ = chunks;
            next_chunk_.store(0);
            pending_ = chunks;
            error_ = nullptr;
            ++generation_;
        }
        wake_.notify_all();
        work();
        std::unique_lock<std::mutex> lock(mutex_);
        // Wait for every chunk and for every worker to leave work(), so that no
        // worker still holds this run's counter when the next run resets it.
        done_.wait(lock, [&] { return pending_ == 0 && active_ == 0; });
        task_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    void resize(size_t workers) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { loop(); });
    }

    // Takes chunks until none is left; run by the caller and by every worker.
    void work() {
        in_pool_task = true;
        for (;;) {
            const int64_t c = next_chunk_.fetch_add(1);
            if (c >= chunks_) break;
            const int64_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
            try {
                (*task_)(begin, end);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) done_.notify_all();
        }
        in_pool_task = false;
    }

    void loop() {
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || (generation_ != seen && task_ != nullptr); });
                if (stop_) return;
                seen = generation_;
                ++active_;
            }
            work();
            std::lock_guard<std::mutex> lock(mutex_);
            if (--active_ == 0 && pending_ == 0) done_.notify_all();
        }
    }

    std::mutex call_mutex_;  // one parallel_for at a time
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    const std::function<void(int64_t, int64_t)>* task_ = nullptr;
    int64_t n_ = 0, chunks_ = 0, pending_ = 0, active_ = 0;
    std::atomic<int64_t> next_chunk_{0};
    uint64_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

int default_threads() {
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

Pool& pool() {
    static Pool* p = [] {
        auto* created = new Pool();  // never destroyed: workers may outlive static destruction order
        created->set_size(default_threads());
        return created;
    }();
    return *p;
}

}  // namespace

int cpu_threads() { return pool().size(); }

void set_cpu_threads(int threads) { pool().set_size(threads <= 0 ? default_threads() : threads); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    pool().run(n, grain, fn);
}

}  // namespace reel
