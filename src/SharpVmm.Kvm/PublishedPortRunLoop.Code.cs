namespace SharpVmm.Kvm;

// The loop's hand-assembled code, with the block's layout (PublishedPortRunLoop.cs) that it shares.
public sealed partial class PublishedPortRunLoop
{
    // rdi: the block. KVM_RUN is ioctl (system call 16) with request 0xAE80 and no argument. kvm_run: exit_reason at 8
    // (KVM_EXIT_IO is 2); io.direction at 32 (0 in, 1 out), io.size at 33, io.port at 34, io.count at 36,
    // io.data_offset at 40. A port flagged Unclaimed (4) answers a read of 1, 2 or 4 bytes with its value's byte in
    // each byte and drops any write; those flagged neither that nor Counter answer one-byte accesses only. A port in no
    // entry but in one of the unclaimed ranges joins the table as such an entry, its cell slot 0's, while the table has
    // room ("unlisted"), and is answered and counted in its own slot from then on. A port flagged Counter (8) answers a
    // read of 4 bytes with a count its cell describes ({ i64 start; i64 rate; u32 mask }: ((CLOCK_MONOTONIC in ns -
    // start) * rate / 10^9) & mask, 0 before the start), calling clock_gettime through the block with the stack aligned
    // for it; any other access, and a failed clock_gettime, is the caller's. r13 is the counter slot of the exit
    // answered last, -1 when none is pending; r12 the system call's result, returned as is (0: an exit for the caller;
    // -errno otherwise), or 1 when the budget of answers is spent (the last answered exit is then completed by the
    // caller's next KVM_RUN).
    private static ReadOnlySpan<byte> Code =>
    [
        0x53,                                                    // push rbx
        0x41, 0x54,                                              // push r12
        0x41, 0x55,                                              // push r13
        0x41, 0x56,                                              // push r14
        0x48, 0x89, 0xFB,                                        // mov rbx,rdi
        0x49, 0xC7, 0xC5, 0xFF, 0xFF, 0xFF, 0xFF,                // mov r13,-1
        // next:
        0x4D, 0x85, 0xED,                                        // test r13,r13
        0x78, 0x48,                                              // js enter
        0x0F, 0x31,                                              // rdtsc
        0x48, 0xC1, 0xE2, 0x20,                                  // shl rdx,0x20
        0x48, 0x09, 0xD0,                                        // or rax,rdx
        0x48, 0x2B, 0x43, 0x10,                                  // sub rax,qword ptr [rbx+0x10]
        0x48, 0x01, 0x43, 0x18,                                  // add qword ptr [rbx+0x18],rax
        0x4A, 0x01, 0x84, 0xEB, 0x40, 0x04, 0x00,                // add qword ptr [rbx+r13*8+0x440],rax
        0x00,                                                    // 
        0x4A, 0x3B, 0x84, 0xEB, 0x40, 0x06, 0x00,                // cmp rax,qword ptr [rbx+r13*8+0x640]
        0x00,                                                    // 
        0x76, 0x08,                                              // jbe counted
        0x4A, 0x89, 0x84, 0xEB, 0x40, 0x06, 0x00,                // mov qword ptr [rbx+r13*8+0x640],rax
        0x00,                                                    // 
        // counted:
        0x4A, 0xFF, 0x84, 0xEB, 0x40, 0x02, 0x00,                // inc qword ptr [rbx+r13*8+0x240]
        0x00,                                                    // 
        0x48, 0xFF, 0x43, 0x20,                                  // inc qword ptr [rbx+0x20]
        0x49, 0xC7, 0xC5, 0xFF, 0xFF, 0xFF, 0xFF,                // mov r13,-1
        0x48, 0xFF, 0x4B, 0x30,                                  // dec qword ptr [rbx+0x30]
        0x0F, 0x84, 0xBD, 0x01, 0x00, 0x00,                      // je budget
        // enter:
        0xB8, 0x10, 0x00, 0x00, 0x00,                            // mov eax,0x10
        0x8B, 0x3B,                                              // mov edi,dword ptr [rbx]
        0xBE, 0x80, 0xAE, 0x00, 0x00,                            // mov esi,0xae80
        0x31, 0xD2,                                              // xor edx,edx
        0x0F, 0x05,                                              // syscall
        0x49, 0x89, 0xC4,                                        // mov r12,rax
        0x0F, 0x31,                                              // rdtsc
        0x48, 0xC1, 0xE2, 0x20,                                  // shl rdx,0x20
        0x48, 0x09, 0xD0,                                        // or rax,rdx
        0x48, 0x89, 0x43, 0x10,                                  // mov qword ptr [rbx+0x10],rax
        0x4D, 0x85, 0xE4,                                        // test r12,r12
        0x0F, 0x85, 0x9A, 0x01, 0x00, 0x00,                      // jne leave
        0x83, 0x7B, 0x28, 0x00,                                  // cmp dword ptr [rbx+0x28],0x0
        0x0F, 0x85, 0x90, 0x01, 0x00, 0x00,                      // jne leave
        0x48, 0x8B, 0x73, 0x08,                                  // mov rsi,qword ptr [rbx+0x8]
        0x83, 0x7E, 0x08, 0x02,                                  // cmp dword ptr [rsi+0x8],0x2
        0x0F, 0x85, 0x82, 0x01, 0x00, 0x00,                      // jne leave
        0x83, 0x7E, 0x24, 0x01,                                  // cmp dword ptr [rsi+0x24],0x1
        0x0F, 0x85, 0x78, 0x01, 0x00, 0x00,                      // jne leave
        0x0F, 0xB7, 0x4E, 0x22,                                  // movzx ecx,word ptr [rsi+0x22]
        0x48, 0x8B, 0x7E, 0x28,                                  // mov rdi,qword ptr [rsi+0x28]
        0x48, 0x01, 0xF7,                                        // add rdi,rsi
        0x44, 0x8B, 0x43, 0x04,                                  // mov r8d,dword ptr [rbx+0x4]
        0x45, 0x31, 0xF6,                                        // xor r14d,r14d
        0x4C, 0x8D, 0x4B, 0x40,                                  // lea r9,[rbx+0x40]
        // scan:
        0x45, 0x39, 0xC6,                                        // cmp r14d,r8d
        0x0F, 0x83, 0xA2, 0x00, 0x00, 0x00,                      // jae unlisted
        0x66, 0x41, 0x39, 0x49, 0x08,                            // cmp word ptr [r9+0x8],cx
        0x74, 0x09,                                              // je found
        0x41, 0xFF, 0xC6,                                        // inc r14d
        0x49, 0x83, 0xC1, 0x10,                                  // add r9,0x10
        0xEB, 0xE7,                                              // jmp scan
        // found:
        0x4D, 0x8B, 0x11,                                        // mov r10,qword ptr [r9]
        0x41, 0xF6, 0x41, 0x0A, 0x08,                            // test byte ptr [r9+0xa],0x8
        0x0F, 0x85, 0xD4, 0x00, 0x00, 0x00,                      // jne counter
        0x41, 0x8B, 0x02,                                        // mov eax,dword ptr [r10]
        0x85, 0xC0,                                              // test eax,eax
        0x0F, 0x88, 0x30, 0x01, 0x00, 0x00,                      // js leave
        0x0F, 0xB6, 0x56, 0x20,                                  // movzx edx,byte ptr [rsi+0x20]
        0x4E, 0x8D, 0x2C, 0x72,                                  // lea r13,[rdx+r14*2]
        0x41, 0xF6, 0x41, 0x0A, 0x04,                            // test byte ptr [r9+0xa],0x4
        0x75, 0x33,                                              // jne unclaimed
        0x80, 0x7E, 0x21, 0x01,                                  // cmp byte ptr [rsi+0x21],0x1
        0x75, 0x21,                                              // jne notanswered
        0x85, 0xD2,                                              // test edx,edx
        0x75, 0x0E,                                              // jne write
        0x41, 0xF6, 0x41, 0x0A, 0x01,                            // test byte ptr [r9+0xa],0x1
        0x74, 0x16,                                              // je notanswered
        0x88, 0x07,                                              // mov byte ptr [rdi],al
        0xE9, 0xF9, 0xFE, 0xFF, 0xFF,                            // jmp next
        // write:
        0x41, 0xF6, 0x41, 0x0A, 0x02,                            // test byte ptr [r9+0xa],0x2
        0x74, 0x08,                                              // je notanswered
        0x38, 0x07,                                              // cmp byte ptr [rdi],al
        0x0F, 0x84, 0xEA, 0xFE, 0xFF, 0xFF,                      // je next
        // notanswered:
        0x49, 0xC7, 0xC5, 0xFF, 0xFF, 0xFF, 0xFF,                // mov r13,-1
        0xE9, 0xEE, 0x00, 0x00, 0x00,                            // jmp leave
        // unclaimed:
        0x85, 0xD2,                                              // test edx,edx
        0x0F, 0x85, 0xD6, 0xFE, 0xFF, 0xFF,                      // jne next
        0x0F, 0xB6, 0xC0,                                        // movzx eax,al
        0x69, 0xC0, 0x01, 0x01, 0x01, 0x01,                      // imul eax,eax,0x1010101
        0x0F, 0xB6, 0x56, 0x21,                                  // movzx edx,byte ptr [rsi+0x21]
        0x83, 0xFA, 0x02,                                        // cmp edx,0x2
        0x72, 0x16,                                              // jb one
        0x74, 0x0C,                                              // je two
        0x83, 0xFA, 0x04,                                        // cmp edx,0x4
        0x75, 0xD3,                                              // jne notanswered
        0x89, 0x07,                                              // mov dword ptr [rdi],eax
        0xE9, 0xB6, 0xFE, 0xFF, 0xFF,                            // jmp next
        // two:
        0x66, 0x89, 0x07,                                        // mov word ptr [rdi],ax
        0xE9, 0xAE, 0xFE, 0xFF, 0xFF,                            // jmp next
        // one:
        0x88, 0x07,                                              // mov byte ptr [rdi],al
        0xE9, 0xA7, 0xFE, 0xFF, 0xFF,                            // jmp next
        // unlisted:
        0x41, 0x83, 0xF8, 0x20,                                  // cmp r8d,0x20
        0x0F, 0x83, 0xAD, 0x00, 0x00, 0x00,                      // jae leave
        0x44, 0x8B, 0x53, 0x38,                                  // mov r10d,dword ptr [rbx+0x38]
        0x4C, 0x8D, 0x9B, 0xC0, 0x08, 0x00, 0x00,                // lea r11,[rbx+0x8c0]
        // range:
        0x45, 0x85, 0xD2,                                        // test r10d,r10d
        0x0F, 0x84, 0x99, 0x00, 0x00, 0x00,                      // je leave
        0x66, 0x41, 0x3B, 0x0B,                                  // cmp cx,word ptr [r11]
        0x72, 0x07,                                              // jb nextrange
        0x66, 0x41, 0x3B, 0x4B, 0x02,                            // cmp cx,word ptr [r11+0x2]
        0x76, 0x09,                                              // jbe join
        // nextrange:
        0x49, 0x83, 0xC3, 0x04,                                  // add r11,0x4
        0x41, 0xFF, 0xCA,                                        // dec r10d
        0xEB, 0xE1,                                              // jmp range
        // join:
        0x48, 0x8D, 0x83, 0x40, 0x08, 0x00, 0x00,                // lea rax,[rbx+0x840]
        0x49, 0x89, 0x01,                                        // mov qword ptr [r9],rax
        0x66, 0x41, 0x89, 0x49, 0x08,                            // mov word ptr [r9+0x8],cx
        0x41, 0xC6, 0x41, 0x0A, 0x04,                            // mov byte ptr [r9+0xa],0x4
        0xFF, 0x43, 0x04,                                        // inc dword ptr [rbx+0x4]
        0xE9, 0x1E, 0xFF, 0xFF, 0xFF,                            // jmp found
        // counter:
        0x80, 0x7E, 0x20, 0x00,                                  // cmp byte ptr [rsi+0x20],0x0
        0x75, 0x61,                                              // jne leave
        0x80, 0x7E, 0x21, 0x04,                                  // cmp byte ptr [rsi+0x21],0x4
        0x75, 0x5B,                                              // jne leave
        0x4F, 0x8D, 0x2C, 0x36,                                  // lea r13,[r14+r14*1]
        0x57,                                                    // push rdi
        0x41, 0x52,                                              // push r10
        0x48, 0x83, 0xEC, 0x18,                                  // sub rsp,0x18
        0xBF, 0x01, 0x00, 0x00, 0x00,                            // mov edi,0x1
        0x48, 0x89, 0xE6,                                        // mov rsi,rsp
        0xFF, 0x93, 0xC0, 0x09, 0x00, 0x00,                      // call qword ptr [rbx+0x9c0]
        0x89, 0xC1,                                              // mov ecx,eax
        0x48, 0x69, 0x04, 0x24, 0x00, 0xCA, 0x9A,                // imul rax,qword ptr [rsp],0x3b9aca00
        0x3B,                                                    // 
        0x48, 0x03, 0x44, 0x24, 0x08,                            // add rax,qword ptr [rsp+0x8]
        0x48, 0x83, 0xC4, 0x18,                                  // add rsp,0x18
        0x41, 0x5A,                                              // pop r10
        0x5F,                                                    // pop rdi
        0x85, 0xC9,                                              // test ecx,ecx
        0x0F, 0x85, 0x2A, 0xFF, 0xFF, 0xFF,                      // jne notanswered
        0x49, 0x2B, 0x02,                                        // sub rax,qword ptr [r10]
        0x79, 0x02,                                              // jns elapsed
        0x31, 0xC0,                                              // xor eax,eax
        // elapsed:
        0x49, 0xF7, 0x62, 0x08,                                  // mul qword ptr [r10+0x8]
        0xB9, 0x00, 0xCA, 0x9A, 0x3B,                            // mov ecx,0x3b9aca00
        0x48, 0xF7, 0xF1,                                        // div rcx
        0x41, 0x23, 0x42, 0x10,                                  // and eax,dword ptr [r10+0x10]
        0x89, 0x07,                                              // mov dword ptr [rdi],eax
        0xE9, 0xF6, 0xFD, 0xFF, 0xFF,                            // jmp next
        // budget:
        0x41, 0xBC, 0x01, 0x00, 0x00, 0x00,                      // mov r12d,0x1
        // leave:
        0x4C, 0x89, 0xE0,                                        // mov rax,r12
        0x41, 0x5E,                                              // pop r14
        0x41, 0x5D,                                              // pop r13
        0x41, 0x5C,                                              // pop r12
        0x5B,                                                    // pop rbx
        0xC3,                                                    // ret

    ];
}
