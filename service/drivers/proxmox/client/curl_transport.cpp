#include "drivers/proxmox/client/curl_transport.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace zenith::drivers::proxmox {

namespace {

// curl_global_init is not thread-safe; once for the process.
void initCurlOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// "AB:CD:..." -> 32 bytes; empty when malformed.
std::string parseFingerprint(const std::string& text)
{
    std::string out;
    for (size_t i = 0; i < text.size();) {
        if (text[i] == ':') {
            ++i;
            continue;
        }
        if (i + 1 >= text.size())
            return {};
        int hi = hexDigit(text[i]), lo = hexDigit(text[i + 1]);
        if (hi < 0 || lo < 0)
            return {};
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out.size() == 32 ? out : std::string();
}

// Replaces OpenSSL's chain verification for this connection: the leaf
// certificate's SHA-256 must equal the pin; the chain is not judged (a
// pinned self-signed node certificate has none). Runs inside the
// handshake, before a byte of the request is sent.
int verifyPinned(X509_STORE_CTX* store, void* arg)
{
    const auto* pin = static_cast<const std::string*>(arg);
    X509* cert = X509_STORE_CTX_get0_cert(store);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!cert || X509_digest(cert, EVP_sha256(), digest, &len) != 1 || len != pin->size() ||
        std::memcmp(digest, pin->data(), len) != 0) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

// curl's hook on its SSL_CTX, called after curl set it up.
CURLcode installPin(CURL*, void* sslCtx, void* pin)
{
    auto* ctx = static_cast<SSL_CTX*>(sslCtx);
    // VERIFY_PEER: a failed check must end the handshake (curl asked for
    // VERIFY_NONE, as its own chain and host checks are off).
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx, verifyPinned, pin);
    return CURLE_OK;
}

struct Answer {
    std::string body;
    std::string statusText;
    bool tooLarge = false;
};

size_t onBody(char* data, size_t size, size_t n, void* user)
{
    auto* a = static_cast<Answer*>(user);
    const size_t bytes = size * n;
    if (a->body.size() + bytes > CurlTransport::kMaxBodyBytes) {
        a->tooLarge = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    a->body.append(data, bytes);
    return bytes;
}

// "HTTP/1.1 500 can't lock file ..." -> the reason phrase, where Proxmox
// puts its error text.
size_t onHeader(char* data, size_t size, size_t n, void* user)
{
    auto* a = static_cast<Answer*>(user);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        auto sp1 = line.find(' ');
        auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        std::string_view reason = sp2 == std::string_view::npos ? std::string_view() : line.substr(sp2 + 1);
        while (!reason.empty() && (reason.back() == '\r' || reason.back() == '\n'))
            reason.remove_suffix(1);
        a->statusText = std::string(reason.substr(0, 1024));
    }
    return size * n;
}

}  // namespace

CurlTransport::CurlTransport(TlsTrust trust) : trust_(std::move(trust)), pin_(parseFingerprint(trust_.fingerprintSha256))
{
    initCurlOnce();
}

CurlTransport::~CurlTransport()
{
    for (void* c : idle_)
        curl_easy_cleanup(static_cast<CURL*>(c));
}

std::expected<ApiReply, std::string> CurlTransport::send(const HttpRequest& request)
{
    if (!trust_.fingerprintSha256.empty() && pin_.empty())
        return std::unexpected(std::string("the pinned fingerprint is not 32 colon-separated hex bytes"));
    // A handle from the idle ones (its options reset, its connections
    // kept), back there when this request is done.
    CURL* reused = nullptr;
    {
        std::lock_guard lock(idleMu_);
        if (!idle_.empty()) {
            reused = static_cast<CURL*>(idle_.back());
            idle_.pop_back();
        }
    }
    auto giveBack = [this](CURL* h) {
        curl_easy_reset(h);
        std::lock_guard lock(idleMu_);
        if (idle_.size() < kMaxIdleHandles)
            idle_.push_back(h);
        else
            curl_easy_cleanup(h);
    };
    std::unique_ptr<CURL, decltype(giveBack)> curl(reused ? reused : curl_easy_init(), giveBack);
    if (!curl)
        return std::unexpected(std::string("curl_easy_init failed"));
    CURL* c = curl.get();
    Answer answer;
    char errors[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errors);
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(10000, static_cast<long>(request.timeout.count())));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &answer);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "POST" || request.method == "PUT") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
    for (const auto& [k, v] : request.headers)
        headers.reset(curl_slist_append(headers.release(), fmt::format("{}: {}", k, v).c_str()));
    // No "Expect: 100-continue" round trip before a form body.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    if (!pin_.empty()) {
        // Our callback decides, in the handshake; curl's own chain and
        // host checks would refuse a self-signed node certificate.
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, installPin);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &pin_);
    } else {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!trust_.caFile.empty())
            curl_easy_setopt(c, CURLOPT_CAINFO, trust_.caFile.c_str());
    }

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        if (answer.tooLarge)
            return std::unexpected(fmt::format("the answer is larger than {} MiB", kMaxBodyBytes >> 20));
        // Failures before a byte of the request left: safe to send again.
        const bool notSent = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
                             rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
                             rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
        return std::unexpected(fmt::format("{}{}{}", notSent ? kNotSentPrefix : "", curl_easy_strerror(rc),
                                           errors[0] ? std::string(": ") + errors : ""));
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return ApiReply{status, std::move(answer.statusText), std::move(answer.body)};
}

}  // namespace zenith::drivers::proxmox
