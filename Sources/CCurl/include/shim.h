#ifndef BRIEFING_CCURL_SHIM_H
#define BRIEFING_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are C variadics, which Swift cannot call. Each wrapper below
// fixes the argument type that libcurl expects for a family of options, so a wrong pairing (a long
// where curl reads a pointer) becomes a Swift type error instead of undefined behaviour.

typedef size_t (*briefing_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*briefing_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                               curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode briefing_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode briefing_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode briefing_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode briefing_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode briefing_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode briefing_curl_setopt_write_callback(CURL *handle, briefing_curl_data_callback value) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, value);
}

static inline CURLcode briefing_curl_setopt_header_callback(CURL *handle, briefing_curl_data_callback value) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, value);
}

static inline CURLcode briefing_curl_setopt_xferinfo_callback(CURL *handle, briefing_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

static inline CURLcode briefing_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
