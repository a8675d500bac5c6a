// The shared fake of drivers::proxmox::HttpTransport: answers from a script
// of (method, path) rules, each a queue of replies (the last one repeats),
// or "no answer" for a node that is down; records every request it got.
// Behaves like the real transport where the client depends on it: any
// status comes back as a reply, only a missing answer is an error.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/proxmox/client/http_transport.h"

namespace zenith::testsupport {

class FakeHttpTransport final : public drivers::proxmox::HttpTransport {
public:
    using Reply = drivers::proxmox::ApiReply;

    // Replies for `method` + `path` (the part after /api2/json, without the
    // query), given in order; the last one is repeated.
    void on(const std::string& method, const std::string& path, std::vector<Reply> replies);
    // Shorthand: 200 with {"data": data}.
    static Reply ok(const std::string& dataJson);
    // A node (its base URL) that does not answer at all.
    void down(const std::string& baseUrl) { down_.insert(baseUrl); }
    void up(const std::string& baseUrl) { down_.erase(baseUrl); }

    std::expected<Reply, std::string> send(const drivers::proxmox::HttpRequest& request) override;

    std::vector<drivers::proxmox::HttpRequest> requests() const;

private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, std::string>, std::deque<Reply>> script_;
    std::set<std::string> down_;
    std::vector<drivers::proxmox::HttpRequest> requests_;
};

}  // namespace zenith::testsupport
