//! `GET /idp/saml/metadata`: the IdP's `md:EntityDescriptor` (entity id =
//! this URL), its signing certificate, SSO (HTTP-Redirect and HTTP-POST),
//! SLO (HTTP-Redirect) and the transient name id format.

use axum::{
    http::header,
    response::{IntoResponse, Response},
    Extension,
};
use contract::saml::{BINDING_POST, BINDING_REDIRECT, NAMEID_TRANSIENT, NS_DS, NS_MD, NS_SAML};
use std::sync::Arc;

use super::xml::esc;
use super::Saml;
use crate::idp::Idp;

/// The metadata document.
pub fn document(saml: &Saml) -> anyhow::Result<String> {
    let cert = &saml.key()?.cert_b64;
    let mut attrs = String::new();
    for (name, oid) in contract::saml::ATTRIBUTES {
        attrs.push_str(&format!(
            "<saml:Attribute Name=\"{oid}\" NameFormat=\"{}\" FriendlyName=\"{name}\"/>",
            contract::saml::ATTRNAME_FORMAT_URI
        ));
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{NS_MD}\" xmlns:ds=\"{NS_DS}\" xmlns:saml=\"{NS_SAML}\" entityID=\"{id}\">\
<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
<md:SingleLogoutService Binding=\"{BINDING_REDIRECT}\" Location=\"{slo}\"/>\
<md:NameIDFormat>{NAMEID_TRANSIENT}</md:NameIDFormat>\
<md:SingleSignOnService Binding=\"{BINDING_REDIRECT}\" Location=\"{sso}\"/>\
<md:SingleSignOnService Binding=\"{BINDING_POST}\" Location=\"{sso}\"/>\
{attrs}</md:IDPSSODescriptor></md:EntityDescriptor>\n",
        id = esc(&saml.entity_id),
        sso = esc(&saml.sso_url),
        slo = esc(&saml.slo_url),
    ))
}

/// `GET /idp/saml/metadata`
pub async fn metadata(Extension(idp): Extension<Arc<Idp>>) -> Response {
    let doc = match document(&idp.saml) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "the IdP's SAML key could not be loaded or made");
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, "application/samlmetadata+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        doc,
    )
        .into_response()
}
