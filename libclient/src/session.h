// One bus connection and the Manager proxy, shared by a Client and the Jobs
// it hands out (a Job may outlive its Client).
#pragma once

#include <memory>
#include <mutex>

#include <sdbus-c++/sdbus-c++.h>

#include "zenith/client/client.h"
#include "zenith/glue/manager_proxy.h"

namespace zenith::client::detail {

// Calls only: registerProxy() is never called, so a one-shot `list` adds no
// match rules (four synchronous AddMatch round trips) for signals it ignores.
class ManagerProxy final : public sdbus::ProxyInterfaces<org::zenith::Provisioner::Manager_proxy> {
public:
    ManagerProxy(sdbus::IConnection& connection);

private:
    void onJobNew(const uint32_t&, const sdbus::ObjectPath&) override {}
    void onJobRemoved(const uint32_t&, const sdbus::ObjectPath&, const std::string&) override {}
    void onMachineNew(const std::string&, const sdbus::ObjectPath&) override {}
    void onMachineRemoved(const std::string&, const sdbus::ObjectPath&) override {}
};

class Session {
public:
    static Result<std::shared_ptr<Session>> open(const ConnectOptions& options);
    ~Session();

    sdbus::IConnection& connection() { return *connection_; }
    ManagerProxy& manager() { return *manager_; }
    // Signals are only needed while waiting; the loop thread starts then.
    void ensureEventLoop();

private:
    Session() = default;
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<ManagerProxy> manager_;
    std::once_flag loopStarted_;
    bool loopRunning_ = false;
};

}  // namespace zenith::client::detail
