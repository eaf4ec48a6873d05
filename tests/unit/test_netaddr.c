/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSRF guard's address test: every special-purpose range refused at
 * its edges, public neighbours allowed, IPv6 forms carrying IPv4 judged by
 * the IPv4 address, and sockaddr input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "th.h"
#include "vigil/netaddr.h"

static void expect(const char *ip, int want)
{
    if (vg_netaddr_text_is_public(ip) != want)
        TH_FAIL_("%s should be %s", ip, want ? "public" : "refused");
}

static void test_ipv4(void)
{
    static const char *refused[] = {
        "0.0.0.0",        "0.255.255.255",   "10.0.0.1",
        "10.255.255.255", "100.64.0.0",      "100.127.255.255",
        "127.0.0.1",      "127.255.255.254", "169.254.169.254",
        "172.16.0.1",     "172.31.255.255",  "192.0.0.8",
        "192.0.2.1",      "192.88.99.1",     "192.168.1.1",
        "198.18.0.1",     "198.19.255.255",  "198.51.100.7",
        "203.0.113.9",    "224.0.0.1",       "239.255.255.250",
        "240.0.0.1",      "255.255.255.255"};
    static const char *allowed[] = {
        "1.1.1.1",         "8.8.8.8",        "9.255.255.255",   "11.0.0.0",
        "100.63.255.255",  "100.128.0.0",    "126.255.255.255", "128.0.0.0",
        "169.253.255.255", "172.15.255.255", "172.32.0.0",      "192.0.1.1",
        "192.167.255.255", "192.169.0.0",    "198.17.255.255",  "198.20.0.0",
        "203.0.114.1",     "223.255.255.255"};

    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
        expect(refused[i], 0);
    for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
        expect(allowed[i], 1);
}

static void test_ipv6(void)
{
    static const char *refused[] = {"::",
                                    "::1",
                                    "::ffff:127.0.0.1",
                                    "::ffff:10.1.2.3",
                                    "::127.0.0.1",
                                    "64:ff9b::a00:1",
                                    "64:ff9b:1::1",
                                    "100::1",
                                    "2001::1",
                                    "2001:db8::1",
                                    "2002:7f00:1::1",
                                    "2002:c0a8:101::1",
                                    "fc00::1",
                                    "fd12:3456::1",
                                    "fe80::1",
                                    "febf::1",
                                    "fec0::1",
                                    "ff02::1"};
    static const char *allowed[] = {
        "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8",
        "64:ff9b::808:808",     "2002:808:808::1",      "2a00:1450::1",
        "2001:200::1"};

    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
        expect(refused[i], 0);
    for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
        expect(allowed[i], 1);
    expect("not an address", 0);
    expect("127.1", 0); /* not a numeric address in text: not judged public */
}

static void test_sockaddr(void)
{
    struct sockaddr_in in = {0};
    struct sockaddr_in6 in6 = {0};

    in.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    TH_EQ_INT(vg_netaddr_is_public((struct sockaddr *)&in), 0);
    inet_pton(AF_INET, "93.184.216.34", &in.sin_addr);
    TH_EQ_INT(vg_netaddr_is_public((struct sockaddr *)&in), 1);
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.168.0.1", &in6.sin6_addr);
    TH_EQ_INT(vg_netaddr_is_public((struct sockaddr *)&in6), 0);
    inet_pton(AF_INET6, "2606:4700::6810:84e5", &in6.sin6_addr);
    TH_EQ_INT(vg_netaddr_is_public((struct sockaddr *)&in6), 1);
    TH_EQ_INT(vg_netaddr_is_public(NULL), 0);
}

int main(void)
{
    TH_RUN(test_ipv4);
    TH_RUN(test_ipv6);
    TH_RUN(test_sockaddr);
    return th_done();
}
