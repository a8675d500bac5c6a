#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "net/wireguard_config.h"

using namespace zenith::net;
using zenith::core::ErrorCode;
using zenith::core::Result;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

// 32-byte keys in canonical base64.
const std::string kPrivate = "JTA7RlFcZ3J9iJOeqbS/ytXg6/YBDBciLThDTllkb3o=";
const std::string kPublic1 = "SlVga3aBjJeirbjDztnk7/oFEBsmMTxHUl1oc36JlJ8=";
const std::string kPublic2 = "b3qFkJumsbzH0t3o8/4JFB8qNUBLVmFsd4KNmKOuucQ=";
const std::string kPreshared = "lJ+qtcDL1uHs9wINGCMuOURPWmVwe4aRnKeyvcjT3uk=";

// Line 1 [Interface], 2 PrivateKey, 3 Address, then `iface` (one line each),
// then a blank line, [Peer], PublicKey, AllowedIPs and `peer`.
std::string config(const std::string& iface = "", const std::string& peer = "")
{
    return "[Interface]\nPrivateKey = " + kPrivate + "\nAddress = 10.9.0.2/24\n" + iface + "\n[Peer]\nPublicKey = " +
           kPublic1 + "\nAllowedIPs = 10.9.0.0/24\n" + peer;
}

Result<WireguardConfig> parse(const std::string& text, bool allowHooks = false)
{
    return parseWireguardConfig(text, WireguardRules{.allowHooks = allowHooks});
}

// The message of the error `text` must give, which must contain `part`.
std::string errorOf(const std::string& text, bool allowHooks = false)
{
    auto r = parse(text, allowHooks);
    if (r)
        return "(accepted)";
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_THAT(r.error().message, StartsWith("wireguard_config: "));
    return r.error().message;
}

}  // namespace

TEST(WireguardConfig, TwoPeersFieldByField)
{
    auto r = parse("[Interface]\n"
                   "PrivateKey = " + kPrivate + "\n"
                   "Address = 10.9.0.2/24, fd00:9::2/64\n"
                   "Address = 10.10.0.2\n"
                   "ListenPort = 51820\n"
                   "DNS = 10.9.0.1, 2001:DB8::53, corp.example\n"
                   "MTU = 1420\n"
                   "Table = 1234\n"
                   "FwMark = 0xca6c\n"
                   "SaveConfig = false\n"
                   "\n"
                   "[Peer]\n"
                   "PublicKey = " + kPublic1 + "\n"
                   "PresharedKey = " + kPreshared + "\n"
                   "AllowedIPs = 10.9.0.0/24, 0.0.0.0/0\n"
                   "AllowedIPs = ::/0\n"
                   "Endpoint = vpn.example.com:51820\n"
                   "PersistentKeepalive = 25\n"
                   "\n"
                   "[Peer]\n"
                   "PublicKey = " + kPublic2 + "\n"
                   "AllowedIPs = 192.168.7.0/24\n"
                   "Endpoint = [2001:db8:0:0::7]:443\n"
                   "PersistentKeepalive = off\n");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->privateKey.reveal(), kPrivate);
    EXPECT_EQ(r->addresses, (std::vector<std::string>{"10.9.0.2/24", "fd00:9::2/64", "10.10.0.2/32"}));
    EXPECT_EQ(r->listenPort, 51820);
    EXPECT_EQ(r->dns, (std::vector<std::string>{"10.9.0.1", "2001:db8::53", "corp.example"}));
    EXPECT_EQ(r->mtu, 1420u);
    EXPECT_EQ(r->table, "1234");
    EXPECT_EQ(r->fwMark, 0xca6cu);
    EXPECT_TRUE(r->hooks.empty());
    ASSERT_EQ(r->peers.size(), 2u);
    const auto& a = r->peers[0];
    EXPECT_EQ(a.publicKey, kPublic1);
    ASSERT_TRUE(a.presharedKey);
    EXPECT_EQ(a.presharedKey->reveal(), kPreshared);
    EXPECT_EQ(a.allowedIps, (std::vector<std::string>{"10.9.0.0/24", "0.0.0.0/0", "::/0"}));
    EXPECT_EQ(a.endpoint, "vpn.example.com:51820");
    EXPECT_EQ(a.persistentKeepalive, 25u);
    const auto& b = r->peers[1];
    EXPECT_EQ(b.publicKey, kPublic2);
    EXPECT_FALSE(b.presharedKey);
    EXPECT_EQ(b.allowedIps, std::vector<std::string>{"192.168.7.0/24"});
    EXPECT_EQ(b.endpoint, "[2001:db8::7]:443");
    EXPECT_EQ(b.persistentKeepalive, 0u);
}

TEST(WireguardConfig, CrlfCommentsBlanksAndAnyCase)
{
    auto r = parse("# wg0 for the lab\r\n"
                   "[interface]   # the machine\r\n"
                   "  privatekey=" + kPrivate + "   \r\n"
                   "\tADDRESS\t=\t10.9.0.2/32 # tunnel address\r\n"
                   "\r\n"
                   "   \r\n"
                   "[PEER]\r\n"
                   "publicKEY = " + kPublic1 + "\r\n"
                   "allowedips = 10.9.0.1/32\r\n"
                   "persistentkeepalive = OFF\r\n");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->privateKey.reveal(), kPrivate);
    EXPECT_EQ(r->addresses, std::vector<std::string>{"10.9.0.2/32"});
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_EQ(r->peers[0].publicKey, kPublic1);
    EXPECT_EQ(r->peers[0].persistentKeepalive, 0u);

    auto table = parse(config("TABLE = Auto\n"));
    ASSERT_TRUE(table) << table.error().message;
    EXPECT_EQ(table->table, "auto");
    // No newline at the end.
    EXPECT_TRUE(parse(config("", "Endpoint = 192.0.2.1:51820")));
}

TEST(WireguardConfig, MissingPrivateKeyAddressOrPeers)
{
    EXPECT_EQ(errorOf("[Interface]\nAddress = 10.9.0.2/32\n\n[Peer]\nPublicKey = " + kPublic1 + "\n"),
              "wireguard_config: line 1: [Interface] has no PrivateKey");
    EXPECT_THAT(errorOf("[Interface]\nPrivateKey = " + kPrivate + "\n[Peer]\nPublicKey = " + kPublic1 + "\n"),
                HasSubstr("line 1: [Interface] has no Address"));
    EXPECT_THAT(errorOf("[Interface]\nPrivateKey = " + kPrivate + "\nAddress = 10.9.0.2/32\n"),
                HasSubstr("no [Peer] section"));
    EXPECT_THAT(errorOf(config("", "[Peer]\nAllowedIPs = 10.8.0.0/24\n")),
                HasSubstr("line 8: [Peer] has no PublicKey"));
    EXPECT_THAT(errorOf("# nothing\n\n"), HasSubstr("no [Interface] section"));
    EXPECT_THAT(errorOf(""), HasSubstr("no [Interface] section"));
}

TEST(WireguardConfig, MalformedKeys)
{
    const std::vector<std::string> bad = {
        kPrivate.substr(1),                                   // 43 characters
        "A" + kPrivate,                                       // 45
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",       // 31 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",       // 33 bytes
        "JTA7RlFcZ3J9iJOeqbS/ytXg6/YBDBciLThDTllkb3p=",       // spare bits set
        "JTA7RlFcZ3J9iJOeqbS/ytXg6-YBDBciLThDTllkb3o=",       // not base64
        "JTA7RlFcZ3J9iJOeqbS/ytXg6/YBDBciLThDTll kb3o=",      // a blank inside
    };
    for (const auto& key : bad) {
        SCOPED_TRACE(key);
        std::string priv = config();
        priv.replace(priv.find(kPrivate), kPrivate.size(), key);
        EXPECT_THAT(errorOf(priv), HasSubstr("line 2: PrivateKey is not a WireGuard private key"));
        std::string pub = config();
        pub.replace(pub.find(kPublic1), kPublic1.size(), key);
        EXPECT_THAT(errorOf(pub), HasSubstr("line 6: PublicKey is not a WireGuard public key"));
        EXPECT_THAT(errorOf(config("", "PresharedKey = " + key + "\n")),
                    HasSubstr("line 8: PresharedKey is not a WireGuard preshared key"));
    }
}

TEST(WireguardConfig, ErrorsNeverShowAKeyValue)
{
    const std::string malformed = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmkXYZ";
    std::string text = config();
    text.replace(text.find(kPrivate), kPrivate.size(), malformed);
    auto message = errorOf(text);
    EXPECT_THAT(message, Not(HasSubstr("yAnz")));
    EXPECT_THAT(message, Not(HasSubstr("XYZ")));

    // A key pasted where caller text would be quoted: as a key name, as an
    // address, as an endpoint, as a section; valid or not, shown nowhere.
    for (const std::string& key : {kPrivate, kPreshared}) {
        const std::vector<std::string> misplaced = {key,
                                                    key + " = 1",
                                                    "AllowedIPs = " + key,
                                                    "[" + key + "]",
                                                    key.substr(0, 12) + " = x",
                                                    key.substr(0, 20) + "..zz = x",
                                                    "zz.." + key.substr(5, 20) + " = x"};
        for (const auto& line : misplaced) {
            SCOPED_TRACE(line);
            auto m = errorOf(config("", "PresharedKey = " + kPreshared + "\n" + line + "\n"));
            EXPECT_THAT(m, HasSubstr("(text not shown: it matches a key value)"));
            for (size_t i = 0; i + 4 <= key.size(); ++i)
                EXPECT_THAT(m, Not(HasSubstr(key.substr(i, 4))));
        }
        auto endpoint = errorOf(config("", "PresharedKey = " + kPreshared + "\nEndpoint = " + key + ":1\n"));
        EXPECT_THAT(endpoint, Not(HasSubstr(key.substr(0, 8))));
    }
    // A key on a line before the key line is found all the same.
    auto early = errorOf("[Interface]\nAddress = secretvalue1\nPrivateKey = secretvalue1\n");
    EXPECT_THAT(early, HasSubstr("line 2: Address entry"));
    EXPECT_THAT(early, Not(HasSubstr("secretvalue")));
}

TEST(WireguardConfig, Addresses)
{
    auto r = parse(config("Address = 192.168.1.77/16, 2001:DB8::1:0:0:1, fd00::5/64\n"));
    ASSERT_TRUE(r) << r.error().message;
    // The host bits stay: that is the machine's address in its subnet.
    EXPECT_EQ(r->addresses,
              (std::vector<std::string>{"10.9.0.2/24", "192.168.1.77/16", "2001:db8::1:0:0:1/128", "fd00::5/64"}));

    const std::vector<std::string> bad = {"10.9.0.2/33",  "fd00::1/129",  "10.9.0",       "10.9.0.2/",
                                          "10.9.0.2/024", "10.9.0.2/-1",  "10.9.0.2 /24", "010.9.0.2/24",
                                          "fd00::1%eth0", "host.example", "10.9.0.2,",    ",10.9.0.2",
                                          "10.9.0.2,,10.9.0.3"};
    for (const auto& address : bad) {
        SCOPED_TRACE(address);
        EXPECT_THAT(errorOf(config("Address = " + address + "\n")), HasSubstr("line 4: Address entry '"));
    }
    std::string many;
    for (int i = 0; i < 16; ++i)
        many += "Address = 10.20.0." + std::to_string(i) + "\n";
    EXPECT_THAT(errorOf(config(many)), HasSubstr("line 19: more than 16 Address entries"));
}

TEST(WireguardConfig, AllowedIpsAreMaskedAndRoutedToOnePeer)
{
    auto r = parse(config("", "AllowedIPs = 10.1.2.3/8, 2001:db8::ff/32, 192.0.2.9\n"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->peers[0].allowedIps,
              (std::vector<std::string>{"10.9.0.0/24", "10.0.0.0/8", "2001:db8::/32", "192.0.2.9/32"}));

    EXPECT_THAT(errorOf(config("", "AllowedIPs = 10.9.0.7/24\n")),
                HasSubstr("line 8: AllowedIPs '10.9.0.0/24' is already routed to the peer of line 5"));
    EXPECT_THAT(errorOf(config("", "\n[Peer]\nPublicKey = " + kPublic2 + "\nAllowedIPs = 10.9.0.0/24\n")),
                HasSubstr("line 11: AllowedIPs '10.9.0.0/24' is already routed to the peer of line 5"));
    EXPECT_THAT(errorOf(config("", "AllowedIPs = ::/129\n")), HasSubstr("line 8: AllowedIPs entry '::/129' is not"));
    EXPECT_THAT(errorOf(config("", "AllowedIPs = 10.0.0.0/33\n")), HasSubstr("line 8: AllowedIPs entry"));
}

TEST(WireguardConfig, Endpoints)
{
    struct Case {
        std::string given, kept;
    };
    for (const auto& c : std::vector<Case>{{"192.0.2.1:51820", "192.0.2.1:51820"},
                                           {"[2001:DB8::0:1]:1", "[2001:db8::1]:1"},
                                           {"vpn.example.com:65535", "vpn.example.com:65535"},
                                           {"wg-1.Example:443", "wg-1.Example:443"},
                                           {"localhost:51820", "localhost:51820"}}) {
        auto r = parse(config("", "Endpoint = " + c.given + "\n"));
        ASSERT_TRUE(r) << c.given << ": " << r.error().message;
        EXPECT_EQ(r->peers[0].endpoint, c.kept);
    }
    struct Bad {
        std::string given, why;
    };
    for (const auto& b : std::vector<Bad>{{"192.0.2.1", "has no port"},
                                          {"vpn.example.com", "has no port"},
                                          {"[2001:db8::1]", "has no port"},
                                          {"192.0.2.1:0", "port outside 1..65535"},
                                          {"192.0.2.1:65536", "port outside 1..65535"},
                                          {"192.0.2.1:", "port outside"},
                                          {"192.0.2.1:051820", "port outside"},
                                          {"192.0.2.1:+5", "port outside"},
                                          {"192.0.2.1:http", "port outside"},
                                          {"2001:db8::1:51820", "IPv6 address outside brackets"},
                                          {"[2001:db8::zz]:1", "no valid IPv6 address"},
                                          {"[192.0.2.1]:1", "no valid IPv6 address"},
                                          {"1.2.3:51820", "no IPv4 address"},
                                          {"bad_name.example:1", "no IPv4 address"},
                                          {"-bad.example:1", "no IPv4 address"},
                                          {"trailing.dot.:1", "no IPv4 address"},
                                          {":51820", "no IPv4 address"}}) {
        SCOPED_TRACE(b.given);
        EXPECT_THAT(errorOf(config("", "Endpoint = " + b.given + "\n")), HasSubstr("line 8: Endpoint '"));
        EXPECT_THAT(errorOf(config("", "Endpoint = " + b.given + "\n")), HasSubstr(b.why));
    }
}

TEST(WireguardConfig, GrammarErrorsNameTheLine)
{
    EXPECT_EQ(errorOf(config("Fnord = 1\n")), "wireguard_config: line 4: unknown key 'Fnord'");
    EXPECT_EQ(errorOf(config("Bad\tKey\x01 = 1\n")), "wireguard_config: line 4: a control character");
    EXPECT_EQ(errorOf(config("", "[Peers]\n")), "wireguard_config: line 8: unknown section '[Peers]'");
    EXPECT_THAT(errorOf(config("", "[Peer\n")), HasSubstr("line 8: unknown section '[Peer'"));
    EXPECT_THAT(errorOf("Address = 10.9.0.2/32\n" + config()),
                HasSubstr("line 1: Address before the [Interface] header"));
    EXPECT_THAT(errorOf("[Peer]\n" + config()), HasSubstr("line 1: [Peer] before the [Interface] section"));
    EXPECT_THAT(errorOf(config("", "[Interface]\n")), HasSubstr("line 8: a second [Interface] section"));
    EXPECT_THAT(errorOf(config("just words\n")), HasSubstr("line 4: neither a [Section] header nor Key = Value"));
    EXPECT_THAT(errorOf(config("MTU =\n")), HasSubstr("line 4: MTU has no value"));
    EXPECT_THAT(errorOf(config("PublicKey = " + kPublic2 + "\n")),
                HasSubstr("line 4: PublicKey belongs in a [Peer] section"));
    EXPECT_THAT(errorOf(config("", "ListenPort = 1\n")), HasSubstr("line 8: ListenPort belongs in the [Interface]"));
    EXPECT_THAT(errorOf(config("= 1\n")), HasSubstr("line 4: unknown key ''"));
}

TEST(WireguardConfig, KeysGivenTwice)
{
    EXPECT_EQ(errorOf(config("PrivateKey = " + kPrivate + "\n")),
              "wireguard_config: line 4: PrivateKey given twice (first on line 2)");
    EXPECT_THAT(errorOf(config("MTU = 1420\nmtu = 1420\n")), HasSubstr("line 5: MTU given twice (first on line 4)"));
    EXPECT_THAT(errorOf(config("", "PublicKey = " + kPublic2 + "\n")), HasSubstr("line 8: PublicKey given twice"));
    EXPECT_THAT(errorOf(config("", "Endpoint = 192.0.2.1:1\nEndpoint = 192.0.2.1:1\n")),
                HasSubstr("line 9: Endpoint given twice"));
    EXPECT_THAT(errorOf(config("", "\n[Peer]\nPublicKey = " + kPublic1 + "\n")),
                HasSubstr("line 10: the peer of line 5 has the same PublicKey"));
    // A key may come again in another peer.
    EXPECT_TRUE(parse(config("", "Endpoint = 192.0.2.1:1\n[Peer]\nPublicKey = " + kPublic2 +
                                     "\nEndpoint = 192.0.2.1:1\n")));
}

TEST(WireguardConfig, Bounds)
{
    std::string peers;
    for (size_t i = 1; i < kWireguardMaxPeers; ++i) {
        // Distinct keys: another first digit, and a second one none of the others has.
        const char first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i];
        peers += "[Peer]\nPublicKey = " + std::string(1, first) + "Z" + kPublic1.substr(2) + "\n";
    }
    ASSERT_TRUE(parse(config("", peers))) << parse(config("", peers)).error().message;
    EXPECT_THAT(errorOf(config("", peers + "[Peer]\nPublicKey = " + kPublic2 + "\n")), HasSubstr("more than 64 peers"));

    std::string routes;
    for (int i = 1; i < 256; ++i)
        routes += "AllowedIPs = 10.77." + std::to_string(i) + ".0/24\n";
    ASSERT_TRUE(parse(config("", routes)));
    EXPECT_THAT(errorOf(config("", routes + "AllowedIPs = 10.78.0.0/24\n")),
                HasSubstr("more than 256 AllowedIPs entries"));

    EXPECT_THAT(errorOf(config("# " + std::string(4095, 'x') + "\n")), HasSubstr("line 4: longer than 4096 bytes"));
    EXPECT_TRUE(parse(config("# " + std::string(4094, 'x') + "\r\n")));
    EXPECT_THAT(errorOf(config(std::string("# a\0b\n", 6))), HasSubstr("line 4: a NUL byte"));
    EXPECT_THAT(errorOf(config("# caf\xc3\n")), HasSubstr("line 4: invalid UTF-8"));
    EXPECT_THAT(errorOf(config("# a\rb\n")), HasSubstr("line 4: a control character"));
    EXPECT_TRUE(parse(config("# caf\xc3\xa9 \xe2\x9c\x93\n")));
    EXPECT_THAT(errorOf(config(std::string(kWireguardMaxConfigBytes, '\n'))), HasSubstr("longer than 65536 bytes"));
}

TEST(WireguardConfig, HooksOnlyWhenAllowed)
{
    const std::string hooks = "PostUp = iptables -A FORWARD -i %i -j ACCEPT # forward\nPreDown = logger down\n";
    EXPECT_EQ(errorOf(config(hooks)),
              "wireguard_config: line 4: PostUp: hook keys (PreUp, PostUp, PreDown, PostDown) run shell commands as "
              "root in the machine; allowed only when the daemon's config allows them");
    EXPECT_THAT(errorOf(config("preup = true\n")), HasSubstr("line 4: PreUp: hook keys"));

    auto r = parse(config(hooks + "PostUp = logger up\n"), true);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->hooks.size(), 3u);
    EXPECT_EQ(r->hooks[0].key, "PostUp");
    EXPECT_EQ(r->hooks[0].command, "iptables -A FORWARD -i %i -j ACCEPT");
    EXPECT_EQ(r->hooks[1].key, "PreDown");
    EXPECT_EQ(r->hooks[2].command, "logger up");
    EXPECT_THAT(errorOf(config("PostUp = " + std::string(1025, 'x') + "\n"), true),
                HasSubstr("line 4: PostUp is longer than 1024 bytes"));
}

TEST(WireguardConfig, SaveConfig)
{
    EXPECT_THAT(errorOf(config("SaveConfig = true\n")),
                HasSubstr("line 4: SaveConfig = true would make wg-quick write"));
    EXPECT_THAT(errorOf(config("SaveConfig = yes\n")),
                HasSubstr("line 4: SaveConfig must be true or false, not 'yes'"));
    EXPECT_TRUE(parse(config("SaveConfig = false\n")));
}

TEST(WireguardConfig, Numbers)
{
    EXPECT_THAT(errorOf(config("ListenPort = 0\n")),
                HasSubstr("line 4: ListenPort must be a number in 1..65535, not '0'"));
    for (const std::string& bad : std::vector<std::string>{"65536", "051820", "+1", "-1", "0x10", "1 2", "port"})
        EXPECT_THAT(errorOf(config("ListenPort = " + bad + "\n")), HasSubstr("ListenPort must be")) << bad;
    EXPECT_THAT(errorOf(config("MTU = 575\n")), HasSubstr("MTU must be a number in 576..65535"));
    EXPECT_TRUE(parse(config("MTU = 576\n")));
    EXPECT_THAT(errorOf(config("MTU = 1279\nAddress = fd00::2/64\n")),
                HasSubstr("line 4: MTU must be at least 1280 with an IPv6 Address"));
    EXPECT_TRUE(parse(config("MTU = 1280\nAddress = fd00::2/64\n")));
    EXPECT_THAT(errorOf(config("", "PersistentKeepalive = 65536\n")), HasSubstr("PersistentKeepalive must be"));
    EXPECT_THAT(errorOf(config("Table = main\n")), HasSubstr("Table must be off, auto or a table number"));
    EXPECT_THAT(errorOf(config("Table = 0\n")), HasSubstr("Table must be"));
    EXPECT_EQ(parse(config("FwMark = off\n"))->fwMark, 0u);
    EXPECT_EQ(parse(config("FwMark = 4294967295\n"))->fwMark, 4294967295u);
    EXPECT_THAT(errorOf(config("FwMark = 4294967296\n")), HasSubstr("FwMark must be"));
    EXPECT_THAT(errorOf(config("FwMark = 0x100000000\n")), HasSubstr("FwMark must be"));
    EXPECT_THAT(errorOf(config("FwMark = 0x\n")), HasSubstr("FwMark must be"));
}

TEST(WireguardConfig, Dns)
{
    auto r = parse(config("DNS = 1.1.1.1,2606:4700:4700::1111 , lab.example, corp\n"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->dns, (std::vector<std::string>{"1.1.1.1", "2606:4700:4700::1111", "lab.example", "corp"}));
    const std::vector<std::string> bad = {"1.2.3", "10.0.0.256", "under_score.example", "a..b", "example.", "x:y"};
    for (const auto& entry : bad)
        EXPECT_THAT(errorOf(config("DNS = " + entry + "\n")), HasSubstr("line 4: DNS entry '" + entry + "'")) << entry;
}

TEST(WireguardConfig, RenderIsCanonicalAndParsesBack)
{
    auto r = parse("[interface]\nprivatekey=" + kPrivate + "\naddress=10.9.0.2/24,FD00::2/64\nlistenport=51820\n"
                   "fwmark=0x10\ndns=10.9.0.1,lab.example\nmtu=1420\ntable=OFF\npostup=logger up # hi\n"
                   "[peer]\npublickey=" + kPublic1 + "\npresharedkey=" + kPreshared + "\nallowedips=10.9.0.1/24\n"
                   "endpoint=[2001:db8::0001]:51820\npersistentkeepalive=off\n"
                   "[peer]\npublickey=" + kPublic2 + "\nallowedips=0.0.0.0/0\n",
                   true);
    ASSERT_TRUE(r) << r.error().message;
    const std::string text = renderWireguardConfig(*r).reveal();
    EXPECT_EQ(text, "[Interface]\n"
                    "PrivateKey = " + kPrivate + "\n"
                    "Address = 10.9.0.2/24, fd00::2/64\n"
                    "ListenPort = 51820\n"
                    "FwMark = 16\n"
                    "DNS = 10.9.0.1, lab.example\n"
                    "MTU = 1420\n"
                    "Table = off\n"
                    "PostUp = logger up\n"
                    "\n"
                    "[Peer]\n"
                    "PublicKey = " + kPublic1 + "\n"
                    "PresharedKey = " + kPreshared + "\n"
                    "AllowedIPs = 10.9.0.0/24\n"
                    "Endpoint = [2001:db8::1]:51820\n"
                    "PersistentKeepalive = 0\n"
                    "\n"
                    "[Peer]\n"
                    "PublicKey = " + kPublic2 + "\n"
                    "AllowedIPs = 0.0.0.0/0\n");
    auto again = parse(text, true);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(renderWireguardConfig(*again).reveal(), text);
    EXPECT_EQ(again->addresses, r->addresses);
    EXPECT_EQ(again->peers[0].presharedKey->reveal(), kPreshared);
    EXPECT_EQ(again->hooks[0].command, "logger up");
}

TEST(WireguardConfig, RenderSplitsLongLists)
{
    std::string routes;
    for (int i = 0; i < 250; ++i)
        routes += std::string(i % 50 ? ", " : i ? "\nAllowedIPs = " : "AllowedIPs = ") + "fd00:1:2:" +
                  std::to_string(i) + "::/64";
    auto r = parse(config("", routes + "\n"));
    ASSERT_TRUE(r) << r.error().message;
    const std::string text = renderWireguardConfig(*r).reveal();
    auto again = parse(text);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->peers[0].allowedIps, r->peers[0].allowedIps);
    EXPECT_EQ(again->peers[0].allowedIps.size(), 251u);
    EXPECT_GT(std::count(text.begin(), text.end(), '\n'), 10);
}
