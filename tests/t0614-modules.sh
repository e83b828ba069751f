#!/bin/bash
# Terraform modules (issue 20, the registry half): a module registry made of
# static files behind nginx over TLS with a test CA (discovery, versions, and
# download answering 204 + X-Terraform-Get); bundle create carries the
# highest version the constraint allows as a normalized .tar.gz (sorted,
# owner 0, mtime 0: rebuilds are byte-identical), records its sha256 in
# lading.lock, honours //subdir, ?archive= and .zip; --locked refuses a
# tampered archive; a git:: location (a git repository served as dumb HTTP
# by the same nginx) is pinned to its commit and carried as the ref's
# subtree, and --locked refuses a tag moved upstream; git over SSH, an
# escaping subdir and a zip-slip archive are refused; lading serve answers the module registry protocol, and terraform
# init (when installed) resolves the unchanged sources from serve alone after
# the original registry is stopped.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/scripts/lib-web.sh"
. "$TOP/scripts/lib-serve.sh"
plan 40

pki=$TRASH/pki
mkdir -p "$pki"
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
		-subj "/CN=lading test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$pki/ext" &&
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/server.crt" -days 2 -extfile "$pki/ext"
} >"$TRASH/openssl.log" 2>&1 || { echo "# openssl failed"; cat "$TRASH/openssl.log"; exit 1; }

# A real module tree: a root module of the registry module and a subdirectory module it calls.
reg=$TRASH/reg
mkdir -p "$reg/.well-known" "$reg/archives"
echo '{"modules.v1":"/v1/modules/"}' >"$reg/.well-known/terraform.json"
mkmodule() { # DIR VERSION
	mkdir -p "$1/modules/sub"
	cat >"$1/main.tf" <<-TF
	variable "prefix" {
	  type    = string
	  default = "net"
	}
	module "sub" {
	  source = "./modules/sub"
	  name   = "\${var.prefix}-$2"
	}
	output "id" {
	  value = module.sub.id
	}
	TF
	cat >"$1/modules/sub/main.tf" <<-TF
	variable "name" {
	  type = string
	}
	output "id" {
	  value = "id-\${var.name}"
	}
	TF
}
versions() { # NS NAME SYSTEM VERSION...
	local dir=$reg/v1/modules/$1/$2/$3
	mkdir -p "$dir"
	shift 3
	printf '%s\n' "$@" | jq -R '{version: .}' | jq -s '{modules: [{versions: .}]}' >"$dir/versions"
}
for v in 1.0.0 1.2.0 1.3.0 2.0.0; do
	mkmodule "$TRASH/src/net-$v" "$v"
	tar -C "$TRASH/src/net-$v" -czf "$reg/archives/acme-net-aws-$v.tar.gz" .
done
versions acme net aws 1.0.0 1.2.0 1.3.0 2.0.0
# A monorepo archive without a telling name: ?archive=tar.gz and //modules/vpc pick the module.
mkmodule "$TRASH/src/mono/modules/vpc" mono
echo "# not carried" >"$TRASH/src/mono/README.md"
tar -C "$TRASH/src/mono" -czf "$reg/archives/mono.bin" .
versions acme vpc aws 0.1.0
(cd "$TRASH/src/net-1.0.0" && python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
for name in ("main.tf", "modules/sub/main.tf"):
    z.write(name)
' "$reg/archives/acme-zipped-aws-1.0.0.zip")
versions acme zipped aws 1.0.0
# A git repository as Terraform's git getter finds it (dumb HTTP from nginx): tag v1.0.0 (annotated),
# the module under modules/vpc, and a later commit that the tag is moved to further down.
g=$TRASH/src/infra
git init -q -b main "$g" && mkmodule "$g/modules/vpc" git && echo "# not carried" >"$g/README.md" &&
	git -C "$g" add -A && git -C "$g" -c user.name=t -c user.email=t@t commit -qm one &&
	git -C "$g" -c user.name=t -c user.email=t@t tag -a -m v1 v1.0.0 &&
	git clone -q --bare "$g" "$reg/git/infra.git" && git -C "$reg/git/infra.git" update-server-info || exit 1
git_commit=$(git -C "$g" rev-parse 'v1.0.0^{commit}')
versions acme gitmod aws 1.0.0
versions acme gitid aws 1.0.0
versions acme gitssh aws 1.0.0
versions acme gitnoref aws 1.0.0
# Refused: a subdir escaping the archive, an archive whose entry escapes.
versions acme escape aws 1.0.0
python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w:gz")
for name in ("main.tf", "../evil.tf"):
    data = b"# x\n"
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
' "$reg/archives/acme-slip-aws-1.0.0.tar.gz"
versions acme slip aws 1.0.0
WEB_EXTRA='
location = /v1/modules/acme/vpc/aws/0.1.0/download { add_header X-Terraform-Get "/archives/mono.bin//modules/vpc?archive=tar.gz" always; return 204; }
location = /v1/modules/acme/zipped/aws/1.0.0/download { add_header X-Terraform-Get "../../../../../../archives/acme-zipped-aws-1.0.0.zip" always; return 204; }
location = /v1/modules/acme/gitmod/aws/1.0.0/download { add_header X-Terraform-Get "git::https://$http_host/git/infra.git//modules/vpc?ref=v1.0.0&depth=1" always; return 204; }
location = /v1/modules/acme/gitid/aws/1.0.0/download { add_header X-Terraform-Get "git::https://$http_host/git/infra.git//modules/vpc/modules?ref='"$git_commit"'" always; return 204; }
location = /v1/modules/acme/gitssh/aws/1.0.0/download { add_header X-Terraform-Get "git::ssh://git@git.example.invalid/infra.git?ref=v1.0.0" always; return 204; }
location = /v1/modules/acme/gitnoref/aws/1.0.0/download { add_header X-Terraform-Get "git::https://$http_host/git/infra.git?ref=v9.9.9" always; return 204; }
location = /v1/modules/acme/escape/aws/1.0.0/download { add_header X-Terraform-Get "/archives/mono.bin//../../etc?archive=tar.gz" always; return 204; }
location ~ ^/v1/modules/([^/]+)/([^/]+)/([^/]+)/([^/]+)/download$ { add_header X-Terraform-Get "/archives/$1-$2-$3-$4.tar.gz" always; return 204; }
'
web_start reg "$reg" "$pki/server.crt" "$pki/server.key" || exit 1
reg_extra=$WEB_EXTRA; unset WEB_EXTRA
host=127.0.0.1:$WEB_PORT
export LADING_CACHE=$TRASH/cache SOURCE_DATE_EPOCH=1700000000

mkdir -p "$TRASH/site"
spec() { # DIR, then module lines on stdin
	mkdir -p "$1"
	{
		printf 'name: mods\nregistries:\n  - host: "%s"\n    ca_file: %s\nmodules:\n' "$host" "$pki/ca.crt"
		cat
	} >"$1/lading.yaml"
}
spec "$TRASH/site" <<YAML
  - source: $host/acme/net/aws
    version: "~> 1.2"
  - source: $host/acme/vpc/aws
  - source: $host/acme/zipped/aws
    version: "1.0.0"
  - source: $host/acme/gitmod/aws
  - git: git::https://$host/git/infra.git//modules/vpc?ref=v1.0.0
YAML
ok "bundle create carries the modules" "$LADING" bundle create -f "$TRASH/site/lading.yaml" -o "$TRASH/site.tar.zst"
is "bundle create -q prints nothing at all" \
	"$("$LADING" bundle create -q --locked -f "$TRASH/site/lading.yaml" -o "$TRASH/quiet.tar.zst" 2>&1)" ""
is "~> 1.2 picks the highest match, 1.3.0 (not 2.0.0)" \
	"$(jq -r '.modules[] | select(.source | endswith("/net/aws")) | .version' "$TRASH/site/lading.lock")" 1.3.0
is "lading.lock records the upstream archive's sha256" \
	"$(jq -r '.modules[] | select(.source | endswith("/net/aws")) | .sha256' "$TRASH/site/lading.lock")" \
	"$(sha256sum "$reg/archives/acme-net-aws-1.3.0.tar.gz" | cut -d' ' -f1)"
mkdir -p "$TRASH/x"
tar --zstd -xf "$TRASH/site.tar.zst" -C "$TRASH/x"
m=$TRASH/x/modules/$host/acme
is "stored as modules/HOST/NS/NAME/SYSTEM/VERSION.tar.gz" \
	"$(cd "$TRASH/x" && find modules -type f | sort | tr '\n' ' ')" \
	"modules/$host/acme/gitmod/aws/1.0.0.tar.gz modules/$host/acme/net/aws/1.3.0.tar.gz modules/$host/acme/vpc/aws/0.1.0.tar.gz modules/$host/acme/zipped/aws/1.0.0.tar.gz "
is "the rows are kind module" "$(jq -r '[.entries[] | select(.path | startswith("modules/")) | .kind] | unique | join(",")' "$TRASH/x/lading.json")" module
is "normalized: sorted, directories made explicit, owner 0/0, mtime 0" \
	"$(tar -tvzf "$m/net/aws/1.3.0.tar.gz" --numeric-owner | awk '{print $1, $2, $4, $5, $6}' | tr '\n' ';')" \
	"-rw-r--r-- 0/0 1970-01-01 00:00 main.tf;drwxr-xr-x 0/0 1970-01-01 00:00 modules/;drwxr-xr-x 0/0 1970-01-01 00:00 modules/sub/;-rw-r--r-- 0/0 1970-01-01 00:00 modules/sub/main.tf;"
is "no gzip timestamp in the normalized archive" "$(od -An -tx1 -j4 -N4 "$m/net/aws/1.3.0.tar.gz" | tr -d ' ')" 00000000
ok "the module's files are those of 1.3.0" sh -c "tar -xOzf '$m/net/aws/1.3.0.tar.gz' main.tf | cmp - '$TRASH/src/net-1.3.0/main.tf'"
is "//modules/vpc with ?archive=tar.gz: only that subtree, at the root" \
	"$(tar -tzf "$m/vpc/aws/0.1.0.tar.gz" | tr '\n' ' ')" "main.tf modules/ modules/sub/ modules/sub/main.tf "
is "a relative ../ location to a .zip is carried as .tar.gz" \
	"$(tar -tzf "$m/zipped/aws/1.0.0.tar.gz" | tr '\n' ' ')" "main.tf modules/ modules/sub/ modules/sub/main.tf "
gitlock=$(jq -c '.modules[] | select(.source | endswith("/gitmod/aws")) | [.commit, .location, .subdir, .sha256]' "$TRASH/site/lading.lock")
is "a git:: location: lading.lock pins the tag to its commit (the annotated tag peeled), no archive sha256" \
	"$gitlock" "[\"$git_commit\",\"git::https://$host/git/infra.git?ref=v1.0.0\",\"modules/vpc\",null]"
is "the git module holds the ref's //modules/vpc subtree only, at the root" \
	"$(tar -tzf "$m/gitmod/aws/1.0.0.tar.gz" | tr '\n' ' ')" "main.tf modules/ modules/sub/ modules/sub/main.tf "
ok "its files are those of the commit" sh -c "tar -xOzf '$m/gitmod/aws/1.0.0.tar.gz' modules/sub/main.tf | cmp - '$g/modules/vpc/modules/sub/main.tf'"
is "a git: module is carried as its repository at that ref (git/infra.bundle), the tag locked" \
	"$(cd "$TRASH/x" && ls git) $(jq -c '.git[] | select(.name == "infra") | .refs' "$TRASH/site/lading.lock")" \
	"infra.bundle {\"refs/tags/v1.0.0\":\"$(git -C "$g" rev-parse v1.0.0)\"}"
ok "--locked with a fresh cache gives the same bytes" sh -c \
	"LADING_CACHE='$TRASH/cache2' '$LADING' bundle create --locked -f '$TRASH/site/lading.yaml' -o '$TRASH/again.tar.zst' && cmp '$TRASH/site.tar.zst' '$TRASH/again.tar.zst'"

is "bundle inspect lists the modules" \
	"$("$LADING" bundle inspect "$TRASH/site.tar.zst" | awk '/^MODULES/ {on=1; next} on && NF==0 {on=0} on {print $1}' | tr '\n' ' ')" \
	"modules/$host/acme/gitmod/aws/1.0.0.tar.gz modules/$host/acme/net/aws/1.3.0.tar.gz modules/$host/acme/vpc/aws/0.1.0.tar.gz modules/$host/acme/zipped/aws/1.0.0.tar.gz 4 "
printf 'registries:\n  - host: "%s"\n    ca_file: %s\n' "$host" "$pki/ca.crt" >"$TRASH/registries.yaml"
fetched=$("$LADING" fetch module -r "$TRASH/registries.yaml" -s "$TRASH/fstore" -o "$TRASH/fout" "$host/acme/net/aws" --version '>= 1.0, < 1.3' 2>&1)
is "fetch module --version: the highest match, upstream and normalized sha256" "$(echo "$fetched" | cut -d' ' -f1-4)" \
	"module $host/acme/net/aws 1.2.0 $(sha256sum "$reg/archives/acme-net-aws-1.2.0.tar.gz" | cut -d' ' -f1)"
ok "fetch module -o lays it out as the bundle does" test -f "$TRASH/fout/$host/acme/net/aws/1.2.0.tar.gz"
fails_one_line "fetch module: no version matches lists those there are" 1 \
	"module $host/acme/net/aws: no version matches '~> 3\.0' \(available: 1\.0\.0, 1\.2\.0, 1\.3\.0, 2\.0\.0\)" \
	"$LADING" fetch module -r "$TRASH/registries.yaml" -s "$TRASH/fstore" "$host/acme/net/aws" --version '~> 3.0'

# A new tree republished under the locked version: --locked refuses it.
cp "$reg/archives/acme-net-aws-1.3.0.tar.gz" "$TRASH/net-1.3.0.orig"
echo '# changed' >>"$TRASH/src/net-1.3.0/main.tf"
tar -C "$TRASH/src/net-1.3.0" -czf "$reg/archives/acme-net-aws-1.3.0.tar.gz" .
fails_one_line "--locked refuses an archive whose sha256 differs from lading.lock" 1 \
	"module $host/acme/net/aws 1\.3\.0: sha256 mismatch .*: not the archive lading\.lock records" \
	env LADING_CACHE="$TRASH/cache3" "$LADING" bundle create --locked -f "$TRASH/site/lading.yaml" -o "$TRASH/tampered.tar.zst"
ok "no bundle after the refusal" test ! -e "$TRASH/tampered.tar.zst"
cp "$TRASH/net-1.3.0.orig" "$reg/archives/acme-net-aws-1.3.0.tar.gz"

fetched=$("$LADING" fetch module -r "$TRASH/registries.yaml" -s "$TRASH/fstore" "$host/acme/gitid/aws" 2>&1)
is "fetch module: a git:: location whose ref= is a commit id, the commit instead of an archive sha256" \
	"$(echo "$fetched" | cut -d' ' -f1-4)" "module $host/acme/gitid/aws 1.0.0 $git_commit"
# The tag moved upstream to a new commit: --locked refuses to take it.
echo "# two" >>"$g/modules/vpc/main.tf"
git -C "$g" -c user.name=t -c user.email=t@t commit -qam two && git -C "$g" tag -f -a -m v1 v1.0.0 >/dev/null &&
	git -C "$reg/git/infra.git" fetch -q --force "$g" 'refs/tags/*:refs/tags/*' && git -C "$reg/git/infra.git" update-server-info
fails_one_line "--locked refuses a git tag that moved upstream, naming both commits" 2 \
	"module $host/acme/gitmod/aws 1\.0\.0: ref v1\.0\.0: locked $git_commit, upstream $(git -C "$g" rev-parse 'v1.0.0^{commit}') \(run create without --locked" \
	env LADING_CACHE="$TRASH/cache4" "$LADING" bundle create --locked -f "$TRASH/site/lading.yaml" -o "$TRASH/moved.tar.zst"

bad() { # NAME: a spec with that one module, created
	spec "$TRASH/bad-$1" <<-YAML
	  - source: $host/acme/$1/aws
	YAML
	"$LADING" bundle create -f "$TRASH/bad-$1/lading.yaml" -o "$TRASH/bad-$1.tar.zst"
}
fails_one_line "git over SSH is refused, saying what to ask for" 1 \
	"module $host/acme/gitssh/aws 1\.0\.0: location 'git::ssh://git@git\.example\.invalid/infra\.git\?ref=v1\.0\.0': only git over https \(or http\) is carried" \
	bad gitssh
fails_one_line "a ref= that is no branch or tag upstream is refused, naming it" 1 \
	"module $host/acme/gitnoref/aws 1\.0\.0: no branch or tag 'v9\.9\.9' upstream" bad gitnoref
fails_one_line "a //subdir escaping the archive is refused" 1 "subdirectory '\.\./\.\./etc' escapes the archive" bad escape
fails_one_line "an archive entry escaping the module's root is refused" 1 "archive entry '\.\./evil\.tf' escapes the module's root" bad slip
ok "nothing of the refused archive is left in the cache" sh -c "! find '$LADING_CACHE' -name '.module-*' | grep -q ."
fails_one_line "a source without a dotted host is a usage error naming the line" 2 \
	"nodot\.yaml:[0-9]+:[0-9]+: module source 'acme/net/aws/x': expected HOST/NAMESPACE/NAME/SYSTEM" \
	sh -c "printf 'name: m\nmodules:\n  - source: acme/net/aws/x\n' >'$TRASH/nodot.yaml' && '$LADING' bundle create -f '$TRASH/nodot.yaml' -o '$TRASH/nodot.tar.zst'"

gitspec() { printf 'name: m\nmodules:\n  - git: %s\n' "$@" >"$TRASH/gitspec.yaml" && "$LADING" bundle create --dry-run -f "$TRASH/gitspec.yaml" -o "$TRASH/gitspec.tar.zst"; }
fails_one_line "a git: module without a ref is a usage error naming the line" 2 \
	"gitspec\.yaml:3:5: git module https://h\.example/infra\.git needs 'ref'" gitspec "https://h.example/infra.git//modules/vpc"
fails_one_line "a git: module over SSH is refused, naming the line" 2 \
	"gitspec\.yaml:3:10: git url 'ssh://h\.example/infra\.git' must be an https://, http:// or file:// URL" \
	gitspec "git::ssh://h.example/infra.git?ref=v1"

# The same NAMESPACE/NAME/SYSTEM from a second host: serve could answer for one only.
mkdir -p "$TRASH/reg2"
cp -r "$reg/.well-known" "$reg/v1" "$reg/archives" "$TRASH/reg2/"
WEB_EXTRA=$reg_extra web_start reg2 "$TRASH/reg2" "$pki/server.crt" "$pki/server.key" || exit 1
host2=127.0.0.1:$WEB_PORT
spec "$TRASH/clash" <<YAML
  - source: $host/acme/net/aws
  - source: $host2/acme/net/aws
YAML
sed -i "s|^registries:|registries:\n  - host: \"$host2\"\n    ca_file: $pki/ca.crt|" "$TRASH/clash/lading.yaml"
fails_one_line "two hosts with the same NS/NAME/SYSTEM: an error at create naming both" 2 \
	"modules $host/acme/net/aws and $host2/acme/net/aws share NAMESPACE/NAME/SYSTEM" \
	"$LADING" bundle create -f "$TRASH/clash/lading.yaml" -o "$TRASH/clash.tar.zst"
web_stop reg2

# lading serve answers the module registry protocol, over TLS, from the bundle file.
serve_start "$TRASH/site.tar.zst" --tls-cert "$pki/server.crt" --tls-key "$pki/server.key" --insecure-skip-signature || exit 1
S=https://$SERVE_HOST
c() { curl -s --cacert "$pki/ca.crt" "$@"; }
is "discovery names modules.v1" "$(c "$S/.well-known/terraform.json" | jq -c .)" '{"modules.v1":"/v1/modules/"}'
is "versions lists what is carried" "$(c "$S/v1/modules/acme/net/aws/versions" | jq -c .)" '{"modules":[{"versions":[{"version":"1.3.0"}]}]}'
is "download: 204 and X-Terraform-Get to the archive served" \
	"$(c -o /dev/null -D - "$S/v1/modules/acme/net/aws/1.3.0/download" | tr -d '\r' | awk 'NR==1 {print $2} tolower($1)=="x-terraform-get:" {print $2}' | tr '\n' ' ')" \
	"204 /modules/$host/acme/net/aws/1.3.0.tar.gz?archive=tar.gz "
ok "the archive served is the one in the bundle" sh -c "curl -s --cacert '$pki/ca.crt' '$S/modules/$host/acme/net/aws/1.3.0.tar.gz' | cmp - '$m/net/aws/1.3.0.tar.gz'"

# An extracted signed bundle: modules/ is checked against lading.json like the rest.
"$LADING" key generate --unencrypted -o "$TRASH/k" >/dev/null 2>&1 || exit 1
"$LADING" bundle create -f "$TRASH/site/lading.yaml" -o "$TRASH/signed.tar.zst" --sign "$TRASH/k.key" >/dev/null 2>&1 &&
	"$LADING" bundle extract -q --pubkey "$TRASH/k.pub" -C "$TRASH/signed" "$TRASH/signed.tar.zst" >/dev/null || exit 1
echo junk >"$TRASH/signed/modules/$host/acme/net/aws/9.9.9.tar.gz"
fails_one_line "an extracted directory with a module archive lading.json does not list is refused" 1 \
	"modules/$host/acme/net/aws/9\.9\.9\.tar\.gz': not listed in the signed lading\.json" \
	"$LADING" serve "$TRASH/signed" --pubkey "$TRASH/k.pub" --plain-http --listen 127.0.0.1:0
mkdir -p "$TRASH/twohosts/modules/a.example/acme/net/aws" "$TRASH/twohosts/modules/b.example/acme/net/aws"
cp "$m/net/aws/1.3.0.tar.gz" "$TRASH/twohosts/modules/a.example/acme/net/aws/1.3.0.tar.gz"
cp "$m/net/aws/1.3.0.tar.gz" "$TRASH/twohosts/modules/b.example/acme/net/aws/1.0.0.tar.gz"
fails_with "serve refuses one NAMESPACE/NAME/SYSTEM from two hosts" 2 \
	"modules [ab]\.example/acme/net/aws and [ab]\.example/acme/net/aws share NAMESPACE/NAME/SYSTEM" \
	"$LADING" serve "$TRASH/twohosts" --insecure-skip-signature --plain-http --listen 127.0.0.1:0

# terraform init of an unchanged root module, the original registry stopped: the CLI config maps its host to serve.
if [ ! -x /usr/local/bin/terraform ]; then
	skip "terraform is not installed"
else
	web_stop reg
	mkdir -p "$TRASH/root"
	cat >"$TRASH/root/main.tf" <<-TF
	module "net" {
	  source  = "$host/acme/net/aws"
	  version = "~> 1.2"
	}
	module "vpc" {
	  source  = "$host/acme/vpc/aws"
	  version = "0.1.0"
	}
	module "gitmod" {
	  source  = "$host/acme/gitmod/aws"
	  version = "1.0.0"
	}
	module "direct" {
	  source = "git::https://$host/git/infra.git//modules/vpc?ref=v1.0.0"
	}
	output "direct" {
	  value = module.direct.id
	}
	output "gitmod" {
	  value = module.gitmod.id
	}
	output "net" {
	  value = module.net.id
	}
	output "vpc" {
	  value = module.vpc.id
	}
	TF
	cat >"$TRASH/terraformrc" <<-HCL
	host "$host" {
	  services = {
	    "modules.v1" = "https://$SERVE_HOST/v1/modules/"
	  }
	}
	HCL
	# git:: sources are cloned by git: its url.insteadOf maps the original repository to serve's copy.
	printf '[url "https://%s/git/infra.git"]\n\tinsteadOf = https://%s/git/infra.git\n' \
		"$SERVE_HOST" "$host" >"$TRASH/gitconfig"
	tf() { (cd "$TRASH/root" && TF_CLI_CONFIG_FILE="$TRASH/terraformrc" SSL_CERT_FILE="$pki/ca.crt" GIT_CONFIG_GLOBAL="$TRASH/gitconfig" GIT_SSL_CAINFO="$pki/ca.crt" \
		CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 timeout 120 /usr/local/bin/terraform "$@"); }
	if tf init -input=false -no-color >"$TRASH/tf-init.log" 2>&1 && tf apply -auto-approve -input=false -no-color >"$TRASH/tf-apply.log" 2>&1; then
		is "terraform init + apply from serve alone: 1.3.0, the archive's subdirectory, the git module's commit, the git:: source" \
			"$(tf output -json | jq -c '[.net.value, .vpc.value, .gitmod.value, .direct.value]')" '["id-net-1.3.0","id-net-mono","id-net-git","id-net-git"]'
	else
		sed 's/^/# /' "$TRASH/tf-init.log" "$TRASH/tf-apply.log" 2>/dev/null
		ok "terraform init + apply from serve alone" false
	fi
fi
done_testing
