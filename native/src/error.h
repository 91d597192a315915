// error.h — statuses and the thread-local message behind reel_last_error().
#pragma once

#include <exception>
#include <new>

#include "reel/reel.h"

namespace reel {

// Records the message for this thread and returns the status, so that a check
// reads `return fail(REEL_ERR_INVALID_ARGUMENT, "reel_x: count < 0 (%lld)", n);`.
reel_status fail(reel_status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Runs body (a callable returning reel_status) so that no exception escapes.
template <typename F>
reel_status guarded(const char* call, F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(REEL_ERR_OUT_OF_MEMORY, "%s: out of host memory", call);
    } catch (const std::exception& e) {
        return fail(REEL_ERR_INTERNAL, "%s: %s", call, e.what());
    } catch (...) {
        return fail(REEL_ERR_INTERNAL, "%s: unknown internal error", call);
    }
}

}  // namespace reel
