#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "drivers/nspawn/apt_mirror.h"

using namespace zenith::drivers::nspawn;
namespace fs = std::filesystem;

TEST(NspawnAptMirror, OneLineFormatWithOptions)
{
    auto v = parseOneLineSources(
        "# comment\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian bookworm main contrib\n"
        "deb-src http://mirror.example/debian bookworm main\n"
        "deb [ trusted=yes ] http://other.example/debian bullseye main # trailing\n"
        "garbage line\n");
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].types, std::vector<std::string>{"deb"});
    EXPECT_EQ(v[0].uris, std::vector<std::string>{"http://mirror.example/debian"});
    EXPECT_EQ(v[0].suites, std::vector<std::string>{"bookworm"});
    EXPECT_EQ(v[0].components, (std::vector<std::string>{"main", "contrib"}));
    EXPECT_EQ(v[1].types, std::vector<std::string>{"deb-src"});
    EXPECT_EQ(v[2].uris, std::vector<std::string>{"http://other.example/debian"});
    EXPECT_EQ(v[2].suites, std::vector<std::string>{"bullseye"});
}

TEST(NspawnAptMirror, Deb822Paragraphs)
{
    auto v = parseDeb822Sources(
        "Types: deb deb-src\n"
        "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://a.example/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        "\n"
        "Types: deb\n"
        "URIs: http://b.example/debian\n"
        "Suites: trixie\n"
        "Enabled: no\n"
        "\n"
        "Types: deb\n"
        "URIs:\n"
        " http://c.example/debian\n"
        "Suites: sid\n");
    ASSERT_EQ(v.size(), 2u);  // the disabled one is dropped
    EXPECT_EQ(v[0].types, (std::vector<std::string>{"deb", "deb-src"}));
    EXPECT_EQ(v[0].uris, std::vector<std::string>{"http://a.example/debian"});
    EXPECT_EQ(v[0].suites, (std::vector<std::string>{"bookworm", "bookworm-updates"}));
    EXPECT_EQ(v[1].uris, std::vector<std::string>{"http://c.example/debian"});
}

TEST(NspawnAptMirror, SecurityArchivesAreNeverChosen)
{
    auto v = parseDeb822Sources(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n");
    EXPECT_EQ(chooseDebianMirror(v), "http://deb.example/debian");

    auto onlySecurity = parseOneLineSources("deb http://security.example/debian-security bookworm-security main\n");
    EXPECT_EQ(chooseDebianMirror(onlySecurity), std::nullopt);
}

TEST(NspawnAptMirror, SourcesWithCredentialsAreNeverChosen)
{
    // They would reach debootstrap's argv and the logs; apt keeps them.
    auto v = parseOneLineSources("deb http://joe:s3cret@private.example/debian bookworm main\n"
                                 "deb https://deb.example/debian bookworm main\n");
    EXPECT_EQ(chooseDebianMirror(v), "https://deb.example/debian");
    auto only = parseOneLineSources("deb https://token@private.example/debian bookworm main\n");
    EXPECT_EQ(chooseDebianMirror(only), std::nullopt);
    // An @ after the host is part of the path, not credentials.
    auto path = parseOneLineSources("deb http://deb.example/debian/@snapshot bookworm main\n");
    EXPECT_EQ(chooseDebianMirror(path), "http://deb.example/debian/@snapshot");
}

TEST(NspawnAptMirror, NonDebianSuitesAndSourceOnlyEntriesAreSkipped)
{
    auto v = parseOneLineSources(
        "deb https://deb.nodesource.com/node_20.x nodistro main\n"
        "deb http://archive.ubuntu.com/ubuntu jammy main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb cdrom:[Debian 12]/ bookworm main\n"
        "deb http://ftp.example/debian stable main\n");
    EXPECT_EQ(chooseDebianMirror(v), "http://ftp.example/debian");
}

TEST(NspawnAptMirror, ResolveReadsBothFormatsAndTheOverrideWins)
{
    auto dir = fs::temp_directory_path() / ("zenith-apt-" + std::to_string(::getpid()));
    fs::create_directories(dir / "sources.list.d");
    std::ofstream(dir / "sources.list") << "# empty apart from comments\n";
    std::ofstream(dir / "sources.list.d" / "debian.sources")
        << "Types: deb\nURIs: http://deb822.example/debian\nSuites: bookworm\nComponents: main\n";
    std::ofstream(dir / "sources.list.d" / "zz-extra.list") << "deb http://later.example/debian bookworm main\n";
    std::ofstream(dir / "sources.list.d" / "ignored.list.disabled") << "deb http://never.example/debian sid main\n";

    auto m = resolveDebianMirror("", dir.string());
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(*m, "http://deb822.example/debian");

    auto o = resolveDebianMirror("http://configured.example/debian", dir.string());
    ASSERT_TRUE(o);
    EXPECT_EQ(*o, "http://configured.example/debian");

    std::ofstream(dir / "sources.list") << "deb http://first.example/debian bookworm main\n";
    EXPECT_EQ(resolveDebianMirror("", dir.string()).value_or(""), "http://first.example/debian");

    fs::remove_all(dir);
    auto none = resolveDebianMirror("", dir.string());
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("DebianMirror="), std::string::npos);
}

TEST(NspawnAptMirror, ThisHostsSourcesYieldAMirror)
{
    // The real /etc/apt of the machine the tests run on (a Debian host).
    auto m = resolveDebianMirror("");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(m->starts_with("http") || m->starts_with("file:") || m->starts_with("ftp")) << *m;
    EXPECT_EQ(m->find("security"), std::string::npos);
}
