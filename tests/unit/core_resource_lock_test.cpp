// The lock table on its own: which modes conflict, Serial locks kept apart,
// and release by job.
#include <gtest/gtest.h>

#include "core/resource_lock.h"

namespace zenith::core {
namespace {

ResourceLock lock(const std::string& r, LockMode m) { return {r, m, "the " + r}; }

TEST(CoreResourceLock, ExclusiveConflictsWithEveryHolderSharedOnlyWithExclusive)
{
    LockTable t;
    t.hold(1, {lock("machine:src", LockMode::Shared)});
    EXPECT_FALSE(t.conflict({lock("machine:src", LockMode::Shared)}));
    t.hold(2, {lock("machine:src", LockMode::Shared)});
    auto c = t.conflict({lock("machine:src", LockMode::Exclusive)});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->what, "the machine:src");
    EXPECT_EQ(c->job, 1u);

    t.release(1);
    EXPECT_TRUE(t.conflict({lock("machine:src", LockMode::Exclusive)}));  // job 2 still reads it
    t.release(2);
    EXPECT_FALSE(t.conflict({lock("machine:src", LockMode::Exclusive)}));
    EXPECT_FALSE(t.held("machine:src"));

    t.hold(3, {lock("machine:a", LockMode::Exclusive)});
    auto s = t.conflict({lock("machine:b", LockMode::Exclusive), lock("machine:a", LockMode::Shared)});
    ASSERT_TRUE(s);
    EXPECT_EQ(s->job, 3u);
    EXPECT_TRUE(t.held("machine:a"));
}

TEST(CoreResourceLock, SerialLocksNeverConflictAtSubmitButAdmitOneRunnerAtATime)
{
    LockTable t;
    const std::vector<ResourceLock> clone{lock("machine:c1", LockMode::Exclusive),
                                          lock("clone-source:tmpl", LockMode::Serial)};
    EXPECT_FALSE(t.conflict(clone));
    t.hold(1, clone);
    EXPECT_TRUE(t.serialFree(clone));  // held from submit, not yet running
    t.holdSerial(1, clone);
    const std::vector<ResourceLock> other{lock("machine:c2", LockMode::Exclusive),
                                          lock("clone-source:tmpl", LockMode::Serial)};
    EXPECT_FALSE(t.conflict(other));
    t.hold(2, other);
    EXPECT_FALSE(t.serialFree(other));
    t.release(1);
    EXPECT_TRUE(t.serialFree(other));
    EXPECT_FALSE(t.held("machine:c1"));
    EXPECT_TRUE(t.held("machine:c2"));
    t.release(2);
    t.release(2);  // twice is harmless
    EXPECT_FALSE(t.held("clone-source:tmpl"));
}

}  // namespace
}  // namespace zenith::core
