#include "provision/vsphere/soap.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"
#include "lib/xmalloc.h"

/* Replies are small except RetrievePropertiesEx over many objects; 32 MiB is plenty. */
#define VS_REPLY_MAX (32u * 1024 * 1024)
#define VS_NS_SOAPENV "http://schemas.xmlsoap.org/soap/envelope/"

struct vs_soap {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
	char fault[128];
	struct lerr write_err;
};

/* The handle's fixed options: every request goes to the one URL with the same headers. */
static int soap_setup(struct vs_soap *soap, const struct vs_soap_opts *opts, struct lerr *err)
{
	struct http_setup so = HTTP_SETUP_INIT(soap->curl);

	HTTP_SET(&so, CURLOPT_URL, soap->url);
	HTTP_SET(&so, CURLOPT_HTTPHEADER, soap->headers);
	HTTP_SET(&so, CURLOPT_COOKIEFILE, ""); /* session cookie in memory */
	HTTP_SET(&so, CURLOPT_ERRORBUFFER, soap->errbuf);
	HTTP_SET(&so, CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(&so, CURLOPT_PROTOCOLS_STR, "https");
	HTTP_SET(&so, CURLOPT_TIMEOUT, opts->timeout_s > 0 ? opts->timeout_s : 60L);
	HTTP_SET(&so, CURLOPT_CONNECTTIMEOUT, 15L);
	if (opts->ca_file != NULL) {
		HTTP_SET(&so, CURLOPT_CAINFO, opts->ca_file);
	} else {
		/* The static release binary has no compiled-in bundle: find the system's, as lib/http.c does. */
		char *system_ca = http_system_ca();

		if (system_ca != NULL)
			HTTP_SET(&so, CURLOPT_CAINFO, system_ca); /* libcurl copies the string */
		free(system_ca);
	}
	if (opts->insecure) {
		HTTP_SET(&so, CURLOPT_SSL_VERIFYPEER, 0L);
		HTTP_SET(&so, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return http_setup_check(&so, opts->url, err);
}

int vs_soap_open(const struct vs_soap_opts *opts, struct vs_soap **out, struct lerr *err)
{
	struct vs_soap *soap = xcalloc(1, sizeof(*soap));

	soap->url = xstrdup(opts->url);
	soap->curl = http_curl_new();
	soap->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
	/* vim25 6.7 is the oldest API the site file supports; later servers accept it. */
	soap->headers = curl_slist_append(soap->headers, "SOAPAction: \"urn:vim25/6.7\"");
	soap->headers = curl_slist_append(soap->headers, "Expect:");
	if (soap->headers == NULL) {
		vs_soap_close(soap);
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot build the request headers", opts->url);
	}
	if (soap_setup(soap, opts, err) != 0) {
		vs_soap_close(soap);
		return -1;
	}
	*out = soap;
	return 0;
}

void vs_soap_close(struct vs_soap *soap)
{
	if (soap == NULL)
		return;
	if (soap->curl != NULL)
		curl_easy_cleanup(soap->curl);
	curl_slist_free_all(soap->headers);
	free(soap->url);
	free(soap);
}

const char *vs_soap_fault(const struct vs_soap *soap)
{
	return soap->fault;
}

struct reply_sink {
	struct buf reply;
	struct vs_soap *soap;
};

static size_t write_reply(char *data, size_t size, size_t count, void *userdata)
{
	struct reply_sink *sink = userdata;

	if (buf_add(&sink->reply, data, size * count, &sink->soap->write_err) != 0)
		return 0;
	return size * count;
}

static int transport_error(struct vs_soap *soap, CURLcode rc, struct lerr *err)
{
	const char *detail = soap->errbuf[0] != '\0' ? soap->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		return lerr_set(err, LADING_ERR_AUTH,
				"%s: TLS verification failed (%s): set vsphere.ca_file to the vCenter CA, "
				"or insecure_skip_verify: true",
				soap->url, detail);
	case CURLE_WRITE_ERROR:
		if (soap->write_err.code != LADING_OK)
			return lerr_set(err, soap->write_err.code, "%s: reply larger than %u bytes", soap->url,
					VS_REPLY_MAX);
		break;
	default:
		break;
	}
	return lerr_set(err, LADING_ERR_NETWORK, "%s: %s", soap->url, detail);
}

/* Fills soap->fault and err from a <Fault> element. */
static int fault_error(struct vs_soap *soap, xmlNodePtr fault, struct lerr *err)
{
	char *text = vs_xml_child_text(fault, "faultstring");
	xmlNodePtr detail = vs_xml_child(fault, "detail");
	xmlNodePtr kind = NULL;
	char *type = NULL;

	for (kind = detail != NULL ? detail->children : NULL; kind != NULL; kind = kind->next)
		if (kind->type == XML_ELEMENT_NODE)
			break;
	if (kind != NULL) {
		type = vs_xml_type(kind);
		if (type == NULL) {
			/* <InvalidLoginFault> without xsi:type: the element name less "Fault". */
			size_t len = strlen((const char *)kind->name);

			type = xstrdup((const char *)kind->name);
			if (len > 5 && strcmp(type + len - 5, "Fault") == 0)
				type[len - 5] = '\0';
		}
	}
	snprintf(soap->fault, sizeof(soap->fault), "%s", type != NULL ? type : "SoapFault");
	lerr_set(err, LADING_ERR_NETWORK, "%s: %s", soap->fault, text != NULL && text[0] != '\0' ? text : "no message");
	if (strcmp(soap->fault, "InvalidLogin") == 0 || strcmp(soap->fault, "NotAuthenticated") == 0 ||
	    strcmp(soap->fault, "NoPermission") == 0)
		err->code = LADING_ERR_AUTH;
	else if (strcmp(soap->fault, "NotFound") == 0 || strcmp(soap->fault, "ManagedObjectNotFound") == 0)
		err->code = LADING_ERR_NOTFOUND;
	free(type);
	free(text);
	return -1;
}

static int parse_reply(struct vs_soap *soap, const struct buf *reply, long status, xmlDocPtr *doc_out,
		       xmlNodePtr *resp_out, struct lerr *err)
{
	xmlDocPtr doc;
	xmlNodePtr root, body, first;

	doc = xmlReadMemory(reply->data, (int)reply->len, "reply.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: HTTP %ld with a reply that is not XML", soap->url, status);
	root = xmlDocGetRootElement(doc);
	body = NULL;
	if (root != NULL && root->ns != NULL && strcmp((const char *)root->ns->href, VS_NS_SOAPENV) == 0 &&
	    strcmp((const char *)root->name, "Envelope") == 0)
		body = vs_xml_child(root, "Body");
	for (first = body != NULL ? body->children : NULL; first != NULL; first = first->next)
		if (first->type == XML_ELEMENT_NODE)
			break;
	if (first == NULL) {
		xmlFreeDoc(doc);
		return lerr_set(err, LADING_ERR_FORMAT, "%s: HTTP %ld without a SOAP body (is this the /sdk URL?)",
				soap->url, status);
	}
	if (strcmp((const char *)first->name, "Fault") == 0) {
		fault_error(soap, first, err);
		xmlFreeDoc(doc);
		return -1;
	}
	if (status != 200) {
		xmlFreeDoc(doc);
		return lerr_set(err, LADING_ERR_NETWORK, "%s: HTTP %ld", soap->url, status);
	}
	*doc_out = doc;
	*resp_out = first;
	return 0;
}

int vs_soap_call(struct vs_soap *soap, struct buf *body_xml, xmlDocPtr *doc, xmlNodePtr *resp, struct lerr *err)
{
	struct reply_sink sink = {BUF_INIT(VS_REPLY_MAX), soap};
	struct buf request = BUF_INIT(0);
	struct http_setup so = HTTP_SETUP_INIT(soap->curl);
	CURLcode rc;
	long status = 0;
	int r = -1;

	soap->fault[0] = '\0';
	soap->errbuf[0] = '\0';
	lerr_clear(&soap->write_err);
	buf_puts(&request, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<soapenv:Envelope xmlns:soapenv=\"" VS_NS_SOAPENV "\""
			   " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"" VS_NS_XSI "\">"
			   "<soapenv:Body>");
	buf_add(&request, body_xml->data, body_xml->len, NULL);
	buf_puts(&request, "</soapenv:Body></soapenv:Envelope>");
	HTTP_SET(&so, CURLOPT_POSTFIELDS, request.data);
	HTTP_SET(&so, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request.len);
	HTTP_SET(&so, CURLOPT_WRITEFUNCTION, write_reply);
	HTTP_SET(&so, CURLOPT_WRITEDATA, &sink);
	if (http_setup_check(&so, soap->url, err) != 0)
		goto out;
	rc = curl_easy_perform(soap->curl);
	if (rc != CURLE_OK) {
		transport_error(soap, rc, err);
		goto out;
	}
	if (curl_easy_getinfo(soap->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	r = parse_reply(soap, &sink.reply, status, doc, resp, err);
out:
	/* The request may hold a password (Login). */
	if (request.data != NULL)
		OPENSSL_cleanse(request.data, request.len);
	if (body_xml->data != NULL)
		OPENSSL_cleanse(body_xml->data, body_xml->len);
	buf_free(&request);
	buf_free(&sink.reply);
	return r;
}

static void xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			buf_printf(b, "&#%d;", *s);
			break;
		default:
			buf_add(b, s, 1, NULL);
		}
	}
}

void vs_xml_tmpl(struct buf *b, const char *tmpl, ...)
{
	const char *mark;
	va_list ap;

	va_start(ap, tmpl);
	while ((mark = strstr(tmpl, "{}")) != NULL) {
		buf_add(b, tmpl, (size_t)(mark - tmpl), NULL);
		xml_escape(b, va_arg(ap, const char *));
		tmpl = mark + 2;
	}
	va_end(ap);
	buf_puts(b, tmpl);
}

int vs_xml_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

xmlNodePtr vs_xml_next(xmlNodePtr node, const char *name)
{
	for (node = node != NULL ? node->next : NULL; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0)
			return node;
	return NULL;
}

xmlNodePtr vs_xml_child(xmlNodePtr node, const char *name)
{
	xmlNodePtr child;

	for (child = node != NULL ? node->children : NULL; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE && strcmp((const char *)child->name, name) == 0)
			return child;
	return NULL;
}

char *vs_xml_text(xmlNodePtr node)
{
	xmlChar *content;
	char *text;

	if (node == NULL)
		return NULL;
	content = xmlNodeGetContent(node);
	text = xstrdup(content != NULL ? (const char *)content : "");
	xmlFree(content);
	return text;
}

char *vs_xml_child_text(xmlNodePtr node, const char *name)
{
	return vs_xml_text(vs_xml_child(node, name));
}

char *vs_xml_type(xmlNodePtr node)
{
	xmlChar *value = xmlGetNsProp(node, (const xmlChar *)"type", (const xmlChar *)VS_NS_XSI);
	const char *colon;
	char *type;

	if (value == NULL)
		return NULL;
	/* A QName: "vim25:VirtualMachine" and "VirtualMachine" name the same vim25 type. */
	colon = strchr((const char *)value, ':');
	type = xstrdup(colon != NULL ? colon + 1 : (const char *)value);
	xmlFree(value);
	return type;
}
