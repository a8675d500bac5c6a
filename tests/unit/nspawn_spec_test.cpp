#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "drivers/nspawn/nspawn_spec.h"

using namespace zenith::drivers::nspawn;
using zenith::core::ErrorCode;
using zenith::core::MachineSpec;

namespace {

NspawnOptions options()
{
    NspawnOptions o;
    o.debianMirror = "http://mirror.example/debian";
    return o;
}

// The key an InvalidArgs message names (the text before the colon).
std::string rejectedKey(const MachineSpec& s, const NspawnOptions& o = options())
{
    auto r = validateNspawnSpec(s, o, "amd64");
    if (r)
        return "";
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs) << r.error().message;
    return r.error().message.substr(0, r.error().message.find(':'));
}

}  // namespace

TEST(NspawnSpec, DefaultsAreDebianBookwormOnTheHostArch)
{
    MachineSpec s;
    EXPECT_TRUE(validateNspawnSpec(s, options(), "amd64"));
    auto k = imageKeyFor(s, "amd64");
    EXPECT_EQ(k.id(), "debian-bookworm-amd64");
    s.release = "bullseye";
    EXPECT_EQ(imageKeyFor(s, "arm64").id(), "debian-bullseye-arm64");
    EXPECT_TRUE(validateNspawnSpec(s, options(), "amd64"));
}

TEST(NspawnSpec, UnknownDistroReleaseAndForeignArchNameTheirKey)
{
    MachineSpec s;
    s.distro = "fedora";
    EXPECT_EQ(rejectedKey(s), "distro");
    s = {};
    s.release = "hamm";
    EXPECT_EQ(rejectedKey(s), "release");
    s.distro = "ubuntu";
    s.release = "bookworm";
    EXPECT_EQ(rejectedKey(s), "release");
    s = {};
    s.arch = "mips";
    EXPECT_EQ(rejectedKey(s), "arch");
}

TEST(NspawnSpec, EveryReleaseByCodeNameAndUbuntuByVersion)
{
    for (auto release : {"bookworm", "bullseye", "trixie", "sid"}) {
        MachineSpec s;
        s.release = release;
        EXPECT_EQ(rejectedKey(s), "") << release;
    }
    for (auto [asked, codename] : std::vector<std::pair<std::string, std::string>>{
             {"24.04", "noble"}, {"22.04", "jammy"}, {"20.04", "focal"}, {"noble", "noble"}}) {
        MachineSpec s;
        s.distro = "ubuntu";
        s.release = asked;
        EXPECT_EQ(rejectedKey(s), "") << asked;
        EXPECT_EQ(imageKeyFor(s, "amd64").id(), "ubuntu-" + codename + "-amd64");
    }
    MachineSpec latest;
    latest.distro = "ubuntu";
    EXPECT_EQ(imageKeyFor(latest, "amd64").release, "noble");
    MachineSpec old;
    old.distro = "ubuntu";
    old.release = "18.04";
    EXPECT_EQ(rejectedKey(old), "release");
}

// arm64 on amd64 (and back) runs where qemu-user-static registered its
// binfmt_misc handler with flag F; elsewhere the answer says what to install.
TEST(NspawnSpec, AForeignArchitectureNeedsUserModeEmulation)
{
    MachineSpec s;
    s.arch = "arm64";
    auto r = validateNspawnSpec(s, options(), "amd64");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    EXPECT_EQ(r.error().message,
              "arch: this host runs amd64 containers; arm64 ones need user-mode emulation: install qemu-user-static "
              "(its binfmt_misc handler qemu-aarch64 with flag F)");
    EXPECT_TRUE(validateNspawnSpec(s, options(), "amd64", {}, {"arm64"}));
    s.arch = "amd64";
    EXPECT_TRUE(validateNspawnSpec(s, options(), "arm64", {}, {"amd64"}));
    EXPECT_FALSE(validateNspawnSpec(s, options(), "arm64", {}, {}));
}

TEST(NspawnBinfmt, OnlyAnEnabledHandlerWithFlagFRunsInContainers)
{
    const std::string registered = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\n"
                                   "offset 0\nmagic 7f454c460201010000000000000000000200b700\n";
    EXPECT_TRUE(binfmtRunsInContainers(registered));
    EXPECT_FALSE(binfmtRunsInContainers("disabled\ninterpreter /usr/bin/qemu-aarch64\nflags: OCF\n"));
    // Without F the interpreter is looked up in the container's own tree.
    EXPECT_FALSE(binfmtRunsInContainers("enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OC\n"));
    EXPECT_FALSE(binfmtRunsInContainers(""));
    EXPECT_EQ(qemuBinfmtName("arm64").value_or(""), "qemu-aarch64");
    EXPECT_EQ(qemuBinfmtName("amd64").value_or(""), "qemu-x86_64");

    char tmpl[] = "/tmp/zenith-binfmt-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    EXPECT_EQ(foreignArchitectures("amd64", dir), std::vector<std::string>{});
    std::ofstream(dir + "/qemu-aarch64") << registered;
    std::ofstream(dir + "/qemu-x86_64") << registered;  // the host's own: never "foreign"
    EXPECT_EQ(foreignArchitectures("amd64", dir), std::vector<std::string>{"arm64"});
    std::filesystem::remove_all(dir);
}

TEST(NspawnSpec, KeysOfOtherBackendsAreRefused)
{
    auto check = [](auto set, const char* key) {
        MachineSpec s;
        set(s);
        EXPECT_EQ(rejectedKey(s), key);
    };
    // node, vmid, iso, ... are Proxmox keys the nspawn driver does not
    // register: parseSpec refuses them (engine_test).
    check([](MachineSpec& s) { s.ipv6Mode = "wireguard"; }, "ipv6_mode");
    check([](MachineSpec& s) { s.tunnel = std::map<std::string, std::string>{{"remote", "1.2.3.4"}}; }, "tunnel");
    check([](MachineSpec& s) { s.wireguardConfig = zenith::core::Secret("[Interface]"); }, "wireguard_config");
}

// 6in4: the spec's errors first (InvalidArgs naming the key), then whether
// this host's kernel can make the sit link at all (BackendUnavailable).
TEST(NspawnSpec, SixInFourNeedsATunnelAnAddressAndTheKernel)
{
    auto o = options();
    o.bridge = "br0";
    o.sitTunnels = true;
    MachineSpec s;
    s.ipv6Mode = "6in4";
    EXPECT_EQ(rejectedKey(s, o), "tunnel");  // no tunnel at all
    s.tunnel = std::map<std::string, std::string>{{"remote", "192.0.2.1"}};
    EXPECT_EQ(rejectedKey(s, o), "tunnel");  // no address
    s.tunnel->emplace("address", "2001:db8:1f0a::2");
    EXPECT_EQ(rejectedKey(s, o), "ipv6_mode");  // no ipv4 to leave from
    s.ipv4 = std::string("10.1.10.91/24");
    EXPECT_EQ(rejectedKey(s, o), "");
    s.ipv6 = std::string("2001:db8::5/64");
    EXPECT_EQ(rejectedKey(s, o), "ipv6");  // the tunnel's address is the machine's
    s.ipv6.reset();

    o.sitTunnels = false;
    auto r = validateNspawnSpec(s, o, "amd64");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    EXPECT_EQ(r.error().message, "ipv6_mode: 6in4 needs sit tunnels, and this host's kernel cannot make them (no sit "
                                 "module); a container uses the host's kernel");
}

TEST(NspawnSpec, UbuntuMirrorsPerArchitectureConfigurable)
{
    MachineSpec s;
    s.distro = "ubuntu";
    EXPECT_TRUE(validateNspawnSpec(s, options(), "amd64"));
    // Unconfigured: Ubuntu's archive for amd64, its ports archive for arm64.
    EXPECT_EQ(mirrorFor(imageKeyFor(s, "amd64"), options()).value_or(""), "http://archive.ubuntu.com/ubuntu");
    EXPECT_EQ(mirrorFor(imageKeyFor(s, "arm64"), options()).value_or(""), "http://ports.ubuntu.com/ubuntu-ports");

    auto o = options();
    o.ubuntuMirror = "http://archive.example/ubuntu";
    EXPECT_EQ(mirrorFor(imageKeyFor(s, "amd64"), o).value_or(""), "http://archive.example/ubuntu");
    // arm64 uses the ports mirror.
    EXPECT_EQ(mirrorFor(imageKeyFor(s, "arm64"), o).value_or(""), "http://ports.ubuntu.com/ubuntu-ports");
    o.ubuntuPortsMirror = "http://ports.example/ubuntu-ports";
    EXPECT_EQ(mirrorFor(imageKeyFor(s, "arm64"), o).value_or(""), "http://ports.example/ubuntu-ports");
}

TEST(NspawnSpec, NetworkNeedsABridge)
{
    MachineSpec s;
    s.ipv4 = std::string("10.1.10.91/24");  // a std::string: GCC 12 warns falsely on a literal here
    EXPECT_EQ(rejectedKey(s), "ipv4");
    s.bridge = "br0";
    auto allowing = options();
    allowing.bridges = {"br0"};
    EXPECT_EQ(rejectedKey(s, allowing), "");
    auto o = options();
    o.bridge = "br-config";
    MachineSpec viaConfig;
    viaConfig.ipv4 = "10.1.10.91/24";
    EXPECT_EQ(rejectedKey(viaConfig, o), "");
    EXPECT_EQ(effectiveBridge(viaConfig, o), "br-config");
    EXPECT_EQ(effectiveBridge(s, o), "br0");

    MachineSpec g;
    g.gateway = "10.1.10.1";
    EXPECT_EQ(rejectedKey(g), "gateway");
    MachineSpec bad;
    bad.bridge = "br0; rm -rf /";
    EXPECT_EQ(rejectedKey(bad), "bridge");
}

TEST(NspawnSpec, PasswordKeysAndSshKeys)
{
    MachineSpec s;
    s.password = zenith::core::Secret("x");
    s.passwordHash = "$6$a$b";
    EXPECT_EQ(rejectedKey(s), "password_hash");
    s.password.reset();
    s.passwordHash = "not-a-hash";
    EXPECT_EQ(rejectedKey(s), "password_hash");
    s.passwordHash.reset();
    s.sshAuthorizedKeys = std::vector<std::string>{"ssh-ed25519 AAA a", "ssh-ed25519 BBB\nroot injected"};
    EXPECT_EQ(rejectedKey(s), "ssh_authorized_keys");
    s.sshAuthorizedKeys = std::vector<std::string>{"ssh-ed25519 AAA a"};
    EXPECT_EQ(rejectedKey(s), "");
    s.ssh = true;  // the base image has an OpenSSH server
    EXPECT_EQ(rejectedKey(s), "");
}

// A forward leads to the machine's IPv4 address on its bridge.
TEST(NspawnSpec, PortsNeedAProtoPortsAndAnAddress)
{
    MachineSpec s;
    auto o = options();
    o.bridge = "br0";
    s.ports = std::vector<zenith::core::PortForward>{{"tcp", 8080, 80}};
    auto r = validateNspawnSpec(s, o, "amd64");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "ports: needs ipv4 (the machine's address on a bridge, which the forwards lead to)");
    s.ipv4 = std::string("10.0.0.5/24");
    EXPECT_EQ(rejectedKey(s, o), "");
    s.ports = std::vector<zenith::core::PortForward>{{"sctp", 1, 2}};
    EXPECT_EQ(rejectedKey(s, o), "ports");
}

// A bridge decides which network a tenant is on: only the default one
// (Bridge=) and those listed in Bridges= may be joined.
TEST(NspawnSpec, BridgesOutsideTheAllowListAreRefused)
{
    MachineSpec s;
    s.bridge = std::string("br-admin");  // a std::string: GCC 12 warns falsely on a literal here
    auto o = options();
    EXPECT_EQ(rejectedKey(s, o), "bridge");  // no default, no list: none allowed
    o.bridge = "br0";
    EXPECT_EQ(rejectedKey(s, o), "bridge");
    o.bridges = {"br1", "br-admin"};
    EXPECT_EQ(rejectedKey(s, o), "");
    s.bridge = "br0";
    EXPECT_EQ(rejectedKey(s, o), "");  // the default is always allowed
    MachineSpec other;
    other.bridge = "br9";
    auto r = validateNspawnSpec(other, o, "amd64");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("allowed: br0, br1, br-admin"), std::string::npos) << r.error().message;
}

TEST(NspawnSpec, PrivilegedAndHostListeningPortsNeedTheAdmin)
{
    using zenith::core::PortForward;
    MachineSpec s;
    s.ipv4 = std::string("10.0.0.5/24");
    auto onBridge = options();
    onBridge.bridge = "br0";
    s.ports = std::vector<PortForward>{{"tcp", 80, 80}};
    EXPECT_EQ(rejectedKey(s, onBridge), "ports");
    s.ports = std::vector<PortForward>{{"tcp", 1024, 80}, {"udp", 65535, 53}};
    EXPECT_EQ(rejectedKey(s, onBridge), "");

    // A port the host serves itself, for the same protocol only.
    const ListeningPorts host{{"tcp", 2222}, {"udp", 5353}};
    auto check = [&](const MachineSpec& spec, const NspawnOptions& o) {
        return validateNspawnSpec(spec, o, "amd64", host);
    };
    s.ports = std::vector<PortForward>{{"tcp", 2222, 22}};
    EXPECT_FALSE(check(s, onBridge));
    s.ports = std::vector<PortForward>{{"udp", 2222, 22}};
    EXPECT_TRUE(check(s, onBridge));

    // HostPorts= set: exactly those ranges, whatever the host listens on.
    auto o = onBridge;
    o.hostPortsSet = true;
    o.hostPorts = {{80, 80}, {2000, 2999}};
    s.ports = std::vector<PortForward>{{"tcp", 80, 80}, {"tcp", 2222, 22}};
    EXPECT_TRUE(check(s, o));
    s.ports = std::vector<PortForward>{{"tcp", 8080, 80}};
    auto r = check(s, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("outside [Nspawn] HostPorts= (80 2000-2999)"), std::string::npos)
        << r.error().message;
}

// A key that would be accepted and then ignored is refused, naming it.
TEST(NspawnSpec, KeysNothingEnforcesAreRefused)
{
    MachineSpec s;
    s.diskMax = 10ull << 30;
    EXPECT_EQ(rejectedKey(s), "disk_max");
    s = {};
    s.swapMax = 1ull << 30;
    EXPECT_EQ(rejectedKey(s), "swap_max");
    s = {};
    s.cores = 2;
    EXPECT_EQ(rejectedKey(s), "cores");
}

TEST(NspawnHostListeners, ParsesListeningTcpAndBoundUdp)
{
    const std::string tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
        "   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
        "   2: garbage\n";
    EXPECT_EQ(parseProcNetTable(tcp, "tcp"), (ListeningPorts{{"tcp", 22}}));
    const std::string udp6 =
        "  sl  local_address                         remote_address                        st ...\n"
        "   0: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 0 0\n";
    EXPECT_EQ(parseProcNetTable(udp6, "udp"), (ListeningPorts{{"udp", 5353}}));
}

TEST(NspawnSpec, AutoAddressesAreAcceptedOnABridgeOnly)
{
    // The engine leases `auto` from the pool when the job runs; the driver
    // then sees the address itself.
    MachineSpec s;
    s.ipv4 = "auto";
    s.ipv6 = "auto";
    auto o = options();
    auto r = validateNspawnSpec(s, o, "amd64");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_TRUE(r.error().message.starts_with("ipv4: a static address needs a bridge")) << r.error().message;
    o.bridge = "br0";
    EXPECT_TRUE(validateNspawnSpec(s, o, "amd64"));
    s.ipv6Mode = "native";
    EXPECT_TRUE(validateNspawnSpec(s, o, "amd64"));
}

TEST(NspawnSpec, ALoneIpv6GatewayIsRefusedNamingTheKey)
{
    auto o = options();
    o.bridge = "br0";
    MachineSpec s;
    s.ipv4 = "10.1.10.91/24";
    s.gateway6 = "2001:db8::1";
    auto r = validateNspawnSpec(s, o, "amd64");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_TRUE(r.error().message.starts_with("gateway6:")) << r.error().message;
    s.ipv6 = "2001:db8::5/64";
    EXPECT_TRUE(validateNspawnSpec(s, o, "amd64"));
}
