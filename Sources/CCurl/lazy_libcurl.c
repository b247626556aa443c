// libcurl, loaded on first use instead of at process start.
//
// Linking libcurl makes the dynamic loader map and relocate it and its TLS, IDN, SSH, LDAP and Kerberos
// dependencies (about 30 shared objects) before main(), which is most of the start-up of `list` and
// `search` — commands that never touch the network. So nothing links libcurl: this file defines the
// libcurl functions Briefing calls, each forwarding to the real one, and the first call of any of them
// loads libcurl.so.4 with dlopen and resolves them all. Callers (BriefingCurl) see the ordinary libcurl
// API from <curl/curl.h>. A libcurl function used without a forwarder here is a link error, never a
// silent fallback.

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define LIBCURL_SONAME "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long);
    char *(*version)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wait)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wakeup)(CURLM *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    const char *(*multi_strerror)(CURLMcode);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
} curl;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;

// Without libcurl no network command can work at all: say so in the CLI's error format and stop with
// EX_SOFTWARE (70), rather than crash on a null function pointer.
static void fail(const char *what) {
    const char *reason = dlerror();
    fprintf(stderr, "briefing: error: cannot load %s (%s): %s; install libcurl4\n", LIBCURL_SONAME, what,
            reason ? reason : "not found");
    exit(70);
}

static void *resolve(void *library, const char *name) {
    void *found = dlsym(library, name);
    if (found == NULL) fail(name);
    return found;
}

static void load(void) {
    void *library = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) fail("dlopen");
    curl.global_init = resolve(library, "curl_global_init");
    curl.version = resolve(library, "curl_version");
    curl.easy_init = resolve(library, "curl_easy_init");
    curl.easy_cleanup = resolve(library, "curl_easy_cleanup");
    curl.easy_reset = resolve(library, "curl_easy_reset");
    curl.easy_perform = resolve(library, "curl_easy_perform");
    curl.easy_setopt = resolve(library, "curl_easy_setopt");
    curl.easy_getinfo = resolve(library, "curl_easy_getinfo");
    curl.easy_strerror = resolve(library, "curl_easy_strerror");
    curl.slist_append = resolve(library, "curl_slist_append");
    curl.slist_free_all = resolve(library, "curl_slist_free_all");
    curl.multi_init = resolve(library, "curl_multi_init");
    curl.multi_cleanup = resolve(library, "curl_multi_cleanup");
    curl.multi_add_handle = resolve(library, "curl_multi_add_handle");
    curl.multi_remove_handle = resolve(library, "curl_multi_remove_handle");
    curl.multi_perform = resolve(library, "curl_multi_perform");
    curl.multi_poll = resolve(library, "curl_multi_poll");
    curl.multi_wait = resolve(library, "curl_multi_wait");
    curl.multi_wakeup = resolve(library, "curl_multi_wakeup");
    curl.multi_info_read = resolve(library, "curl_multi_info_read");
    curl.multi_strerror = resolve(library, "curl_multi_strerror");
    curl.multi_setopt = resolve(library, "curl_multi_setopt");
}

static inline typeof(curl) *loaded_curl(void) {
    pthread_once(&loaded, load);
    return &curl;
}
#define LOADED (*loaded_curl())

// Hidden: the forwarders serve this binary's own calls only. A binary that also links libcurl itself (a test
// binary with FoundationNetworking's URLSession beside BriefingCurl) keeps that libcurl's calls going straight
// to it, even when the binary exports its symbols.
#pragma GCC visibility push(hidden)

CURLcode curl_global_init(long flags) { return LOADED.global_init(flags); }
char *curl_version(void) { return LOADED.version(); }
CURL *curl_easy_init(void) { return LOADED.easy_init(); }
void curl_easy_cleanup(CURL *handle) { LOADED.easy_cleanup(handle); }
void curl_easy_reset(CURL *handle) { LOADED.easy_reset(handle); }
CURLcode curl_easy_perform(CURL *handle) { return LOADED.easy_perform(handle); }
const char *curl_easy_strerror(CURLcode code) { return LOADED.easy_strerror(code); }
struct curl_slist *curl_slist_append(struct curl_slist *list, const char *text) { return LOADED.slist_append(list, text); }
void curl_slist_free_all(struct curl_slist *list) { LOADED.slist_free_all(list); }
CURLM *curl_multi_init(void) { return LOADED.multi_init(); }
CURLMcode curl_multi_cleanup(CURLM *multi) { return LOADED.multi_cleanup(multi); }
CURLMcode curl_multi_add_handle(CURLM *multi, CURL *handle) { return LOADED.multi_add_handle(multi, handle); }
CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *handle) { return LOADED.multi_remove_handle(multi, handle); }
CURLMcode curl_multi_perform(CURLM *multi, int *running) { return LOADED.multi_perform(multi, running); }
CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd *fds, unsigned int count, int timeout, int *ready) {
    return LOADED.multi_poll(multi, fds, count, timeout, ready);
}
CURLMcode curl_multi_wait(CURLM *multi, struct curl_waitfd *fds, unsigned int count, int timeout, int *ready) {
    return LOADED.multi_wait(multi, fds, count, timeout, ready);
}
CURLMcode curl_multi_wakeup(CURLM *multi) { return LOADED.multi_wakeup(multi); }
CURLMsg *curl_multi_info_read(CURLM *multi, int *left) { return LOADED.multi_info_read(multi, left); }
const char *curl_multi_strerror(CURLMcode code) { return LOADED.multi_strerror(code); }

// The variadic setters read their one argument by the option's type range, as libcurl itself does
// (curl.h: CURLOPTTYPE_*), and pass it on with that type.
CURLcode curl_easy_setopt(CURL *handle, CURLoption option, ...) {
    va_list arguments;
    va_start(arguments, option);
    CURLcode result;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        result = LOADED.easy_setopt(handle, option, va_arg(arguments, long));
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        result = LOADED.easy_setopt(handle, option, va_arg(arguments, void *));
    } else if (option < CURLOPTTYPE_OFF_T) {
        result = LOADED.easy_setopt(handle, option, va_arg(arguments, void (*)(void)));
    } else if (option < CURLOPTTYPE_BLOB) {
        result = LOADED.easy_setopt(handle, option, va_arg(arguments, curl_off_t));
    } else {
        result = LOADED.easy_setopt(handle, option, va_arg(arguments, void *));
    }
    va_end(arguments);
    return result;
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...) {
    va_list arguments;
    va_start(arguments, option);
    CURLMcode result;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        result = LOADED.multi_setopt(multi, option, va_arg(arguments, long));
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        result = LOADED.multi_setopt(multi, option, va_arg(arguments, void *));
    } else if (option < CURLOPTTYPE_OFF_T) {
        result = LOADED.multi_setopt(multi, option, va_arg(arguments, void (*)(void)));
    } else {
        result = LOADED.multi_setopt(multi, option, va_arg(arguments, curl_off_t));
    }
    va_end(arguments);
    return result;
}

// Every CURLINFO_* result is written through a pointer, whatever its type.
CURLcode curl_easy_getinfo(CURL *handle, CURLINFO info, ...) {
    va_list arguments;
    va_start(arguments, info);
    void *destination = va_arg(arguments, void *);
    va_end(arguments);
    return LOADED.easy_getinfo(handle, info, destination);
}

#pragma GCC visibility pop
