using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class CertificateAuthorityEntityTypeConfiguration : IEntityTypeConfiguration<CertificateAuthority>
{
    public void Configure(EntityTypeBuilder<CertificateAuthority> builder)
    {
        builder.ToTable("certificate_authorities");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasColumnName("id");
        builder.Property(c => c.CertificatePem).HasColumnName("certificate_pem");
        builder.Property(c => c.EncryptedPrivateKey).HasColumnName("encrypted_private_key");
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");
        builder.Property(c => c.NotAfter).HasColumnName("not_after");
        builder.Property(c => c.IsActive).HasColumnName("is_active");
    }
}
