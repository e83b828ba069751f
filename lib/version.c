#include "version.h"

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libssh2.h>
#include <libxml/xmlversion.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zstd.h>
#ifndef LADING_NO_IPMI
#include <freeipmi/freeipmi.h>
#endif

/*
 * The Makefile writes lading-commit.h into the build folder (rewritten only
 * when HEAD moves, so only this file recompiles); a build without it, or
 * outside git, says "unknown".
 */
#if defined(__has_include)
#if __has_include(<lading-commit.h>)
#include <lading-commit.h>
#endif
#endif
#ifndef LADING_COMMIT
#define LADING_COMMIT "unknown"
#endif

const char *version_commit(void)
{
	return LADING_COMMIT;
}

int version_print(FILE *out)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	/* Run-time versions where the library has them: the static build links its own copies. */
	fprintf(out, "lading %s\n", LADING_VERSION);
	fprintf(out, "commit %s\n", LADING_COMMIT);
	fprintf(out, "libcurl %s (%s%s%s)\n", curl->version, curl->ssl_version != NULL ? curl->ssl_version : "no TLS",
		curl->nghttp2_version != NULL ? ", nghttp2/" : ", no HTTP/2",
		curl->nghttp2_version != NULL ? curl->nghttp2_version : "");
	fprintf(out, "%s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "libssh2 %s\n", libssh2_version(0));
	fprintf(out, "%s\n", archive_version_details());
	fprintf(out, "zstd %s\n", ZSTD_versionString());
	fprintf(out, "libxml2 %s\n", LIBXML_DOTTED_VERSION);
	fprintf(out, "libyaml %s\n", yaml_get_version_string());
	fprintf(out, "jansson %s\n", jansson_version_str());
	/* its own TLS (GnuTLS) is never used: serve's HTTPS is OpenSSL's (serve/tls_front.h) */
	fprintf(out, "libmicrohttpd %s\n", MHD_get_version());
#ifdef LADING_NO_IPMI
	fprintf(out, "libfreeipmi none (built with IPMI=0: no IPMI BMCs)\n");
#else
	fprintf(out, "libfreeipmi %d.%d.%d\n", FREEIPMI_PACKAGE_VERSION_MAJOR, FREEIPMI_PACKAGE_VERSION_MINOR,
		FREEIPMI_PACKAGE_VERSION_PATCH);
#endif
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
