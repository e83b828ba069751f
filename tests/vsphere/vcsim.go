// vcsim for lading's tests: govmomi 0.24's vCenter simulator (VPX model) on
// 127.0.0.1 over TLS with a fresh self-signed certificate per run and one
// required user/password. It adds what the tests need to the default
// inventory (DC0, DC0_C0, LocalDS_0, "VM Network", DC0_C0_RP0_VM0 ...):
//
//	/DC0/vm/templates/ubuntu-22.04   a template (cloned from DC0_C0_RP0_VM0)
//	/DC0/vm/templates/no-room        a template whose clones fail (InsufficientResourcesFault)
//	/DC0/vm/lading                   an empty folder for lading's clones
//	/DC0/vm/lading/foreign-01        a VM lading did not create (no marker)
//
// govmomi 0.24's CloneVM_Task ignores spec.customization and the CPU/memory
// of spec.config (later releases apply them, as vCenter does). The template is
// wrapped so that a clone of it gets them through the simulator's own
// CustomizeVM_Task and ReconfigVM_Task: the client still sends one
// CloneVM_Task, exactly as it would to vCenter.
//
// GET /lading-test/vms dumps every VM from the simulator's own registry as
// JSON lines, so tests can check the simulator's state without lading.
//
// Usage: vcsim -dir DIR [-username U] (password from $VCSIM_PASSWORD)
// Writes DIR/cert.pem and then DIR/url (atomically) when ready; runs until killed.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// cloneSource wraps the template: see the file comment.
// The simulator's property collector digs the mo type out of field 0 of a
// wrapper, so the VM is embedded by value (the registry then holds the copy).
type cloneSource struct {
	simulator.VirtualMachine
}

func (vm *cloneSource) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	res := vm.VirtualMachine.CloneVMTask(ctx, req)
	body, ok := res.(*methods.CloneVM_TaskBody)
	if !ok || body.Res == nil {
		return res
	}
	task := ctx.Map.Get(body.Res.Returnval).(*simulator.Task)
	if task.Info.Error != nil {
		return res
	}
	ref := task.Info.Result.(types.ManagedObjectReference)
	clone, ok := ctx.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return res
	}
	ctx.Map.WithLock(clone, func() {
		if c := req.Spec.Config; c != nil && (c.NumCPUs != 0 || c.MemoryMB != 0) {
			clone.ReconfigVMTask(ctx, &types.ReconfigVM_Task{This: ref,
				Spec: types.VirtualMachineConfigSpec{NumCPUs: c.NumCPUs, MemoryMB: c.MemoryMB}})
		}
		if req.Spec.Customization != nil {
			clone.CustomizeVMTask(&types.CustomizeVM_Task{This: ref, Spec: *req.Spec.Customization})
		}
	})
	return res
}

// noRoom wraps a second template whose clones fail as a full cluster makes
// them fail: a task ending in InsufficientResourcesFault.
type noRoom struct {
	simulator.VirtualMachine
}

func (vm *noRoom) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.InsufficientResourcesFault{}
	})
	return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: task.Run()}}
}

func newCert() (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim.lading.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func writeAtomic(path string, data []byte) {
	tmp := path + ".tmp"
	if err := ioutil.WriteFile(tmp, data, 0644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		log.Fatal(err)
	}
}

func must(err error, what string) {
	if err != nil {
		log.Fatalf("%s: %v", what, err)
	}
}

// setup adds the folders, the template and the foreign VM over the SOAP API.
func setup(ctx context.Context, u *url.URL) {
	c, err := govmomi.NewClient(ctx, u, true)
	must(err, "login")
	defer c.Logout(ctx)
	finder := find.NewFinder(c.Client, true)
	dc, err := finder.Datacenter(ctx, "DC0")
	must(err, "datacenter")
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	must(err, "folders")
	templates, err := folders.VmFolder.CreateFolder(ctx, "templates")
	must(err, "templates folder")
	lading, err := folders.VmFolder.CreateFolder(ctx, "lading")
	must(err, "lading folder")
	src, err := finder.VirtualMachine(ctx, "/DC0/vm/DC0_C0_RP0_VM0")
	must(err, "source vm")
	clone := func(folder *object.Folder, name string, template bool) types.ManagedObjectReference {
		task, err := src.Clone(ctx, folder, name, types.VirtualMachineCloneSpec{Template: template})
		must(err, name)
		info, err := task.WaitForResult(ctx, nil)
		must(err, name)
		return info.Result.(types.ManagedObjectReference)
	}
	tref := clone(templates, "ubuntu-22.04", true)
	fullref := clone(templates, "no-room", true)
	clone(lading, "foreign-01", false)
	tvm := simulator.Map.Get(tref).(*simulator.VirtualMachine)
	simulator.Map.Put(&cloneSource{*tvm})
	full := simulator.Map.Get(fullref).(*simulator.VirtualMachine)
	simulator.Map.Put(&noRoom{*full})
}

type vmState struct {
	Name        string            `json:"name"`
	Folder      string            `json:"folder"`
	Template    bool              `json:"template"`
	PowerState  string            `json:"power"`
	IPAddress   string            `json:"ip"`
	HostName    string            `json:"hostname"`
	NumCPU      int32             `json:"cpus"`
	MemoryMB    int32             `json:"memory_mb"`
	ExtraConfig map[string]string `json:"extra_config"`
	Networks    string            `json:"networks"` // NIC backings, comma-separated
}

func dumpVMs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, obj := range simulator.Map.All("VirtualMachine") {
		var vm *simulator.VirtualMachine
		switch v := obj.(type) {
		case *simulator.VirtualMachine:
			vm = v
		case *cloneSource:
			vm = &v.VirtualMachine
		case *noRoom:
			vm = &v.VirtualMachine
		default:
			continue
		}
		var st vmState
		simulator.Map.WithLock(vm, func() {
			st = vmState{Name: vm.Name, Template: vm.Config.Template,
				PowerState: string(vm.Runtime.PowerState), IPAddress: vm.Guest.IpAddress,
				HostName: vm.Guest.HostName, NumCPU: vm.Config.Hardware.NumCPU,
				MemoryMB: vm.Config.Hardware.MemoryMB, ExtraConfig: map[string]string{}}
			var nets []string
			for _, d := range vm.Config.Hardware.Device {
				if nic, ok := d.(types.BaseVirtualEthernetCard); ok {
					if b, ok := nic.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok {
						nets = append(nets, b.DeviceName)
					} else {
						nets = append(nets, fmt.Sprintf("%T", nic.GetVirtualEthernetCard().Backing))
					}
				}
			}
			st.Networks = strings.Join(nets, ",")
			for _, o := range vm.Config.ExtraConfig {
				ov := o.GetOptionValue()
				st.ExtraConfig[ov.Key] = fmt.Sprint(ov.Value)
			}
		})
		if f, ok := simulator.Map.Get(*vm.Parent).(*simulator.Folder); ok {
			st.Folder = f.Name
		}
		_ = enc.Encode(st)
	}
}

func main() {
	dir := flag.String("dir", "", "directory for cert.pem and url")
	user := flag.String("username", "lading@vsphere.local", "the only user accepted")
	cloneDelay := flag.Int("clone-delay-ms", 0, "delay every CloneVM_Task call (for measuring --jobs)")
	flag.Parse()
	pass := os.Getenv("VCSIM_PASSWORD")
	if *dir == "" || pass == "" {
		log.Fatal("usage: VCSIM_PASSWORD=... vcsim -dir DIR [-username U]")
	}
	model := simulator.VPX()
	must(model.Create(), "model")
	if *cloneDelay > 0 {
		// The service reads this map per call (Model.Create kept a pointer to DelayConfig).
		model.DelayConfig.MethodDelay = map[string]int{"CloneVM_Task": *cloneDelay}
	}
	defer model.Remove()

	cert, certPEM := newCert()
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*user, pass)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.HandleFunc("/lading-test/vms", dumpVMs)
	server := model.Service.NewServer()
	defer server.Close()

	setup(context.Background(), server.URL)
	writeAtomic(filepath.Join(*dir, "cert.pem"), certPEM)
	u := *server.URL
	u.User = nil
	writeAtomic(filepath.Join(*dir, "url"), []byte(u.String()+"\n"))
	fmt.Println(u.String())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
