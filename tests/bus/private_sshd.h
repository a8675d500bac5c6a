// A private sshd on 127.0.0.1 for the remote-host tests: zenithctl --host
// USER@HOST logs in over SSH and runs systemd-stdio-bridge there, exactly as
// against a real provisioning host. This sshd hands its sessions the
// sandbox's private bus (SetEnv DBUS_SYSTEM_BUS_ADDRESS), accepts only the
// test users' keys, and lives in the sandbox's PID namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "child_process.h"
#include "sandbox_env.h"

namespace zenith::bustest {

class PrivateSshd {
public:
    // Host alias that the test users' ~/.ssh/config maps to this sshd (with
    // its port, their key and its pinned host key).
    static constexpr const char* kHostAlias = "zenith-remote";

    // Keys, configs, then sshd; throws std::runtime_error saying what failed.
    PrivateSshd();
    ~PrivateSshd();
    PrivateSshd(const PrivateSshd&) = delete;
    PrivateSshd& operator=(const PrivateSshd&) = delete;

    uint16_t port() const { return port_; }
    std::string logText() const;

private:
    void prepareClient(const TestUser& user, const std::string& hostPublicKey);

    std::string dir_;
    uint16_t port_ = 0;
    std::unique_ptr<BackgroundProgram> sshd_;
};

// What a user's own shell would have: HOME (ssh reads ~/.ssh through the
// password database, HOME only for what it runs).
std::string homeOf(const TestUser& user);

}  // namespace zenith::bustest
