// The reply to one asynchronous method call, shared by the callbacks of its
// flow (parse -> authorize -> submit). Exactly one answer goes out: the first
// ok()/fail() wins, and a flow that drops its reply without answering (a
// bug, or shutdown with a polkit call pending) still answers with an error
// instead of leaving the caller to time out.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <sdbus-c++/Error.h>
#include <sdbus-c++/MethodResult.h>

#include "core/error.h"
#include "core/log.h"
#include "core/text_quote.h"
#include "dbus/error_map.h"

namespace zenith::dbus {

template <typename... R>
class PendingReply {
public:
    PendingReply(sdbus::Result<R...>&& result, std::string method)
        : result_(std::move(result)), method_(std::move(method))
    {
    }
    PendingReply(const PendingReply&) = delete;
    PendingReply& operator=(const PendingReply&) = delete;
    ~PendingReply()
    {
        if (!done_)
            send([&] {
                result_.returnError(sdbus::Error("org.freedesktop.DBus.Error.Failed",
                                                 method_ + " was abandoned (the service is stopping)"));
            });
    }

    void ok(const R&... values)
    {
        send([&] { result_.returnResults(values...); });
    }
    void fail(const core::Error& error)
    {
        // The last line of defence: a message that is not valid UTF-8 (a
        // tenant's file name, a caller's text cut mid-character) would make
        // sd-bus refuse to send the reply, and the caller would wait for its
        // timeout instead of getting an answer.
        const core::Error safe{error.code, core::toValidUtf8(error.message)};
        send([&] { result_.returnError(toSdbusError(safe)); });
    }
    bool done() const { return done_; }

private:
    template <typename F>
    void send(F&& f)
    {
        if (done_)
            return;
        done_ = true;
        try {
            f();
        } catch (const sdbus::Error& e) {
            // The caller may have gone; nothing else to do about it.
            log::warning({}, "cannot send the reply to {}: {}", method_, e.getMessage());
        }
    }

    sdbus::Result<R...> result_;
    std::string method_;
    bool done_ = false;
};

template <typename... R>
std::shared_ptr<PendingReply<R...>> makeReply(sdbus::Result<R...>&& result, std::string method)
{
    return std::make_shared<PendingReply<R...>>(std::move(result), std::move(method));
}

}  // namespace zenith::dbus
