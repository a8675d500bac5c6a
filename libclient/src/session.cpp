#include "session.h"

#include "interactive_auth.h"
#include "sdbus_error.h"

namespace zenith::client::detail {

ManagerProxy::ManagerProxy(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, kBusName, kRootPath)
{
}

Result<std::shared_ptr<Session>> Session::open(const ConnectOptions& options)
{
    if (!options.host.empty() && !options.address.empty())
        return std::unexpected(makeError(ErrorKind::InvalidArgs, "give either a host or a bus address, not both"));
    std::shared_ptr<Session> session(new Session);
    auto opened = guarded([&] {
        if (!options.host.empty())
            session->connection_ = sdbus::createRemoteSystemBusConnection(options.host);
        else if (!options.address.empty())
            session->connection_ = sdbus::createSessionBusConnectionWithAddress(options.address);
        else
            session->connection_ = sdbus::createSystemBusConnection();
        if (options.callTimeout.count() > 0)
            session->connection_->setMethodCallTimeout(options.callTimeout);
        if (options.allowInteractiveAuthorization)
            allowInteractiveAuthorization(*session->connection_);
        session->manager_ = std::make_unique<ManagerProxy>(*session->connection_);
    });
    if (!opened) {
        auto error = opened.error();
        // Whatever sd-bus said, the caller could not reach a bus.
        if (error.kind == ErrorKind::Other)
            error.kind = ErrorKind::Disconnected;
        const std::string where = !options.host.empty()      ? "the system bus of " + options.host
                                  : !options.address.empty() ? "the bus at " + options.address
                                                             : std::string("the system bus");
        error.message = "cannot connect to " + where + ": " + error.message;
        return std::unexpected(error);
    }
    return session;
}

void Session::ensureEventLoop()
{
    std::call_once(loopStarted_, [this] {
        connection_->enterEventLoopAsync();
        loopRunning_ = true;
    });
}

Session::~Session()
{
    manager_.reset();
    if (loopRunning_ && connection_) {
        try {
            connection_->leaveEventLoop();
        } catch (...) {
        }
    }
}

}  // namespace zenith::client::detail
