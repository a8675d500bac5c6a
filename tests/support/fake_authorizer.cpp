#include "fake_authorizer.h"

namespace zenith::testsupport {

void FakeAuthorizer::denyWith(core::Error error)
{
    std::lock_guard lock(mu_);
    refusal_ = std::move(error);
}

void FakeAuthorizer::allow()
{
    std::lock_guard lock(mu_);
    refusal_.reset();
}

void FakeAuthorizer::check(const dbus::CallerInfo& caller, const dbus::AuthRequest& request, dbus::AuthCallback done)
{
    core::Result<void> answer;
    {
        std::lock_guard lock(mu_);
        asked_.emplace_back(caller, request);
        if (refusal_)
            answer = std::unexpected(*refusal_);
    }
    // Later, on the loop, as polkit's reply arrives.
    loop_.post([done = std::move(done), answer] { done(answer); });
}

size_t FakeAuthorizer::count() const
{
    std::lock_guard lock(mu_);
    return asked_.size();
}

std::vector<std::pair<dbus::CallerInfo, dbus::AuthRequest>> FakeAuthorizer::asked() const
{
    std::lock_guard lock(mu_);
    return asked_;
}

}  // namespace zenith::testsupport
