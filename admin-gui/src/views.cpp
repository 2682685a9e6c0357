#include "views.hpp"

#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHostAddress>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "api_client.hpp"
#include "machine_dialog.hpp"

namespace bk::admin {
namespace {

QTableWidget* make_table(const QStringList& headers) {
  auto* t = new QTableWidget(0, static_cast<int>(headers.size()));
  t->setHorizontalHeaderLabels(headers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->horizontalHeader()->setStretchLastSection(true);
  t->verticalHeader()->hide();
  return t;
}

QString text_of(const QJsonValue& v) {
  if (v.isString()) return v.toString();
  if (v.isDouble()) return QString::number(v.toDouble());
  if (v.isBool()) return v.toBool() ? QObject::tr("yes") : QObject::tr("no");
  if (v.isNull() || v.isUndefined()) return {};
  return QString::fromUtf8(v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                                       : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
}

}  // namespace

// ---- discovered ----

DiscoveredView::DiscoveredView(ApiClient& api, QWidget* parent) : QWidget(parent), api_(api) {
  table_ = make_table({tr("MAC"), tr("Last seen"), tr("Requests"), tr("Relay"), tr("Vendor class"),
                       tr("Architecture"), tr("Says it is")});
  auto* refresh_button = new QPushButton(tr("Refresh"));
  auto* register_button = new QPushButton(tr("Register…"));
  register_button->setObjectName("register");
  connect(refresh_button, &QPushButton::clicked, this, &DiscoveredView::refresh);
  connect(register_button, &QPushButton::clicked, this, [this] {
    if (auto* d = register_selected()) d->open();
  });
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this] {
    if (auto* d = register_selected()) d->open();
  });
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(register_button);
  buttons->addStretch();
  buttons->addWidget(refresh_button);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(tr("Machines that asked for an address but are not registered.")));
  layout->addWidget(table_);
  layout->addLayout(buttons);
}

void DiscoveredView::refresh() {
  api_.get("/api/v1/discovered?limit=1000", [this](const Result& r) {
    if (!r.ok()) return;
    const QJsonArray items = r.object().value("items").toArray();
    table_->setRowCount(static_cast<int>(items.size()));
    for (int i = 0; i < items.size(); ++i) {
      const QJsonObject d = items[i].toObject();
      const QStringList cells{
          d.value("mac").toString(),          d.value("last_seen").toString().replace('T', ' ').left(19),
          text_of(d.value("count")),          d.value("relay").toString(),
          d.value("vendor_class").toString(), text_of(d.value("client_arch")),
          d.value("hostname").toString()};
      for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (c == 0) item->setData(Qt::UserRole, QJsonDocument(d).toJson(QJsonDocument::Compact));
        table_->setItem(i, c, item);
      }
    }
    emit refreshed();
  });
}

MachineDialog* DiscoveredView::register_selected() {
  const int row = table_->currentRow();
  if (row < 0) return nullptr;
  const QJsonObject d =
      QJsonDocument::fromJson(table_->item(row, 0)->data(Qt::UserRole).toByteArray()).object();
  const QString mac = d.value("mac").toString();
  auto* dialog =
      new MachineDialog(api_, QJsonObject{{"mac", mac}, {"hostname", d.value("hostname").toString()}}, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->field("mac")->setReadOnly(true);
  connect(dialog, &MachineDialog::saved, this, [this] {
    emit registered();
    refresh();
  });
  // The right subnet: the relay agent's when it was relayed, else the first; then its lowest
  // free address and the host name its pattern gives.
  const QString relay = d.value("relay").toString();
  api_.get("/api/v1/subnets?limit=1000", [this, dialog, relay](const Result& r) {
    const QJsonArray subnets = r.object().value("items").toArray();
    if (subnets.isEmpty()) return;
    QJsonObject chosen = subnets.first().toObject();
    for (const auto& v : subnets) {
      const QJsonObject s = v.toObject();
      const auto net = QHostAddress::parseSubnet(s.value("network").toString());
      if (!relay.isEmpty() && QHostAddress(relay).isInSubnet(net)) chosen = s;
    }
    api_.get("/api/v1/subnets/" + QString::number(chosen.value("id").toInt()) + "/free?limit=1",
             [dialog](const Result& free) {
               const QJsonArray items = free.object().value("items").toArray();
               if (items.isEmpty()) return;
               const QJsonObject f = items.first().toObject();
               if (dialog->field("ip")->text().isEmpty())
                 dialog->field("ip")->setText(f.value("ip").toString());
               if (dialog->field("hostname")->text().isEmpty()) {
                 dialog->field("hostname")->setText(f.value("hostname").toString());
               }
             });
  });
  return dialog;
}

// ---- subnets and images ----

ObjectsView::ObjectsView(ApiClient& api, QString collection, QStringList columns, QWidget* parent)
    : QWidget(parent), api_(api), collection_(std::move(collection)), columns_(std::move(columns)) {
  table_ = make_table(columns_);
  auto* add = new QPushButton(tr("Add…"));
  auto* edit_button = new QPushButton(tr("Edit…"));
  auto* remove = new QPushButton(tr("Delete…"));
  auto* refresh_button = new QPushButton(tr("Refresh"));
  connect(add, &QPushButton::clicked, this, [this] { edit({}); });
  connect(edit_button, &QPushButton::clicked, this, [this] {
    if (const int row = table_->currentRow(); row >= 0) edit(rows_.value(row));
  });
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row) { edit(rows_.value(row)); });
  connect(remove, &QPushButton::clicked, this, &ObjectsView::remove_selected);
  connect(refresh_button, &QPushButton::clicked, this, &ObjectsView::refresh);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(add);
  buttons->addWidget(edit_button);
  buttons->addWidget(remove);
  if (collection_ == "images") {
    auto* upload = new QPushButton(tr("Upload file…"));
    connect(upload, &QPushButton::clicked, this, &ObjectsView::upload_selected);
    buttons->addWidget(upload);
  }
  buttons->addStretch();
  buttons->addWidget(refresh_button);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(table_);
  layout->addLayout(buttons);
}

void ObjectsView::refresh() {
  api_.get("/api/v1/" + collection_ + "?limit=1000", [this](const Result& r) {
    if (!r.ok()) return;
    rows_.clear();
    for (const auto& v : r.object().value("items").toArray())
      rows_.push_back(v.toObject());
    table_->setRowCount(static_cast<int>(rows_.size()));
    for (int i = 0; i < rows_.size(); ++i) {
      for (int c = 0; c < columns_.size(); ++c)
        table_->setItem(i, c, new QTableWidgetItem(text_of(rows_[i].value(columns_[c]))));
    }
    emit refreshed();
  });
}

void ObjectsView::edit(const QJsonObject& existing) {
  // The document form: what the API takes, without the fields the server sets.
  QJsonObject doc = existing;
  for (const char* k : {"id", "created_at", "updated_at", "size", "sha256", "default_image_id"})
    doc.remove(k);
  auto* dialog = new QDialog(this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(existing.isEmpty() ? tr("Add to %1").arg(collection_)
                                            : tr("Edit %1").arg(existing.value("name").toString()));
  auto* text = new QPlainTextEdit(QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Indented)));
  if (existing.isEmpty()) {
    text->setPlainText(
        collection_ == "subnets"
            ? "{\n  \"name\": \"\",\n  \"network\": \"198.18.0.0/24\",\n  \"gateway\": \"\"\n}\n"
            : "{\n  \"name\": \"\",\n  \"kind\": \"pxelinux\",\n  \"boot_file\": \"pxelinux.0\"\n}\n");
  }
  auto* error = new QLabel;
  error->setStyleSheet("color: #b00020");
  error->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
  connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, text, error, existing] {
    QJsonParseError pe{};
    const QJsonDocument d = QJsonDocument::fromJson(text->toPlainText().toUtf8(), &pe);
    if (pe.error != QJsonParseError::NoError) {
      error->setText(tr("Not JSON: %1").arg(pe.errorString()));
      return;
    }
    const bool editing = existing.contains("id");
    const QString path =
        "/api/v1/" + collection_ + (editing ? "/" + QString::number(existing.value("id").toInt()) : "");
    api_.send(editing ? "PUT" : "POST", path, d.object(), [this, dialog, error](const Result& r) {
      if (!r.ok()) {
        error->setText(r.detail);
        return;
      }
      refresh();
      dialog->accept();
    });
  });
  auto* layout = new QVBoxLayout(dialog);
  layout->addWidget(text);
  layout->addWidget(error);
  layout->addWidget(buttons);
  dialog->resize(520, 420);
  dialog->open();
}

void ObjectsView::remove_selected() {
  const int row = table_->currentRow();
  if (row < 0) return;
  const QJsonObject o = rows_.value(row);
  if (QMessageBox::question(this, tr("Delete"), tr("Delete %1?").arg(o.value("name").toString())) !=
      QMessageBox::Yes) {
    return;
  }
  api_.send("DELETE", "/api/v1/" + collection_ + "/" + QString::number(o.value("id").toInt()), QJsonValue(),
            [this](const Result& r) {
              if (!r.ok()) QMessageBox::warning(this, tr("Not deleted"), r.detail);
              refresh();
            });
}

void ObjectsView::upload_selected() {
  const int row = table_->currentRow();
  if (row < 0) return;
  const QJsonObject image = rows_.value(row);
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Upload the boot file of %1").arg(image.value("name").toString()));
  if (path.isEmpty()) return;
  auto* file = new QFile(path, this);
  if (!file->open(QIODevice::ReadOnly)) {
    QMessageBox::warning(this, tr("Cannot read"), file->errorString());
    return;
  }
  auto* progress = new QProgressDialog(tr("Uploading %1…").arg(path), tr("Cancel"), 0, 100, this);
  progress->setAttribute(Qt::WA_DeleteOnClose);
  QNetworkReply* reply =
      api_.upload("/api/v1/images/" + QString::number(image.value("id").toInt()) + "/content", file,
                  [this, file, progress](const Result& r) {
                    file->deleteLater();
                    progress->close();
                    if (!r.ok()) QMessageBox::warning(this, tr("Upload refused"), r.detail);
                    refresh();
                  });
  connect(reply, &QNetworkReply::uploadProgress, progress, [progress](qint64 sent, qint64 total) {
    if (total > 0) progress->setValue(static_cast<int>(sent * 100 / total));
  });
  connect(progress, &QProgressDialog::canceled, reply, &QNetworkReply::abort);
  progress->show();
}

// ---- preview ----

PreviewPanel::PreviewPanel(ApiClient& api, QWidget* parent) : QWidget(parent), api_(api) {
  text_ = new QTextBrowser;
  text_->setObjectName("preview");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(new QLabel(tr("<b>Boot preview</b>: what the server would answer")));
  layout->addWidget(text_);
}

void PreviewPanel::show_machine(const QString& mac) {
  mac_ = mac;
  if (mac.isEmpty()) {
    text_->clear();
    return;
  }
  api_.get("/api/v1/machines/" + mac + "/preview", [this, mac](const Result& r) {
    if (mac != mac_) return;
    if (!r.ok()) {
      text_->setPlainText(r.detail);
      emit shown();
      return;
    }
    const QJsonObject p = r.object();
    QString html = "<p><b>" + p.value("hostname").toString().toHtmlEscaped() + "</b> " +
                   p.value("mac").toString() + " " + p.value("ip").toString() + "</p>";
    const QJsonObject clients = p.value("clients").toObject();
    for (const QString& name :
         {QStringLiteral("bootp"), QStringLiteral("bios"), QStringLiteral("efi-x64"),
          QStringLiteral("efi-ia32"), QStringLiteral("efi-arm64"), QStringLiteral("http-x64")}) {
      const QJsonObject c = clients.value(name).toObject();
      html += "<h4>" + (name == "bootp" ? tr("BOOTP client") : tr("PXE %1").arg(name)) + "</h4>";
      if (c.value("reply").isNull()) {
        html += "<p style='color:#b00020'>" + tr("no reply: ") + c.value("why").toString().toHtmlEscaped() +
                "</p>";
        continue;
      }
      const QJsonObject reply = c.value("reply").toObject();
      html += "<p>" +
              tr("address %1, next server %2, boot file <tt>%3</tt>")
                  .arg(reply.value("yiaddr").toString(), reply.value("siaddr").toString(),
                       reply.value("file").toString().toHtmlEscaped()) +
              "</p><table>";
      for (const auto& o : reply.value("options").toArray()) {
        const QJsonObject opt = o.toObject();
        html += "<tr><td>" + QString::number(opt.value("code").toInt()) + "</td><td>" +
                opt.value("name").toString().toHtmlEscaped() + "</td><td>" +
                text_of(opt.value("value")).toHtmlEscaped() + "</td><td><tt>" + opt.value("hex").toString() +
                "</tt></td></tr>";
      }
      html += "</table><ul>";
      for (const auto& f : c.value("files").toArray()) {
        const QJsonObject file = f.toObject();
        const bool missing = file.value("source").toString() == "missing";
        html += QString("<li%1>").arg(missing ? " style='color:#b00020'" : "") +
                file.value("what").toString().toHtmlEscaped() + ": <tt>" +
                file.value("path").toString().toHtmlEscaped() + "</tt> (" + file.value("source").toString() +
                (missing ? ": " + file.value("error").toString().toHtmlEscaped()
                         : ", " + text_of(file.value("size")) + tr(" bytes")) +
                ")</li>";
      }
      html += "</ul>";
    }
    text_->setHtml(html);
    emit shown();
  });
}

// ---- CSV import ----

ImportWizard::ImportWizard(ApiClient& api, QWidget* parent) : QWizard(parent), api_(api) {
  setWindowTitle(tr("Import machines from CSV"));
  auto* pick = new QWizardPage;
  pick->setTitle(tr("Pick a CSV file"));
  pick->setSubTitle(
      tr("Columns: mac, hostname, ip, image, group, enabled (mac, hostname and ip are needed)."));
  path_ = new QLineEdit;
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString p =
        QFileDialog::getOpenFileName(this, tr("CSV of machines"), {}, tr("CSV (*.csv);;All files (*)"));
    if (!p.isEmpty()) set_file(p);
  });
  auto* row = new QHBoxLayout(pick);
  row->addWidget(path_);
  row->addWidget(browse);

  auto* check = new QWizardPage;
  check->setTitle(tr("What the import would do"));
  check->setSubTitle(tr("The server checked every row with its rules; nothing is written yet."));
  report_ = make_table({tr("Where"), tr("Key"), tr("Action"), tr("Problems")});
  summary_ = new QLabel;
  auto* cl = new QVBoxLayout(check);
  cl->addWidget(summary_);
  cl->addWidget(report_);

  auto* done = new QWizardPage;
  done->setTitle(tr("Import"));
  auto* done_label = new QLabel(tr("Finish imports every row in one transaction: all or nothing."));
  auto* dl = new QVBoxLayout(done);
  dl->addWidget(done_label);

  addPage(pick);
  addPage(check);
  addPage(done);
  connect(this, &QWizard::currentIdChanged, this, [this](int id) {
    if (id == 1) {
      QFile f(path_->text());
      if (!f.open(QIODevice::ReadOnly)) {
        summary_->setText(tr("Cannot read %1: %2").arg(path_->text(), f.errorString()));
        return;
      }
      csv_ = f.readAll();
      run(true);
    }
  });
  connect(this, &QWizard::accepted, this, [this] { run(false); });
}

void ImportWizard::set_file(const QString& path) {
  path_->setText(path);
}

void ImportWizard::run(bool dry_run) {
  api_.send_raw("POST", dry_run ? "/api/v1/machines/import?dry_run=true" : "/api/v1/machines/import", csv_,
                "text/csv", [this, dry_run](const Result& r) {
                  QJsonObject report = r.object();
                  if (!r.ok()) report = report.value("report").toObject();
                  const QJsonArray rows = report.value("rows").toArray();
                  report_->setRowCount(static_cast<int>(rows.size()));
                  for (int i = 0; i < rows.size(); ++i) {
                    const QJsonObject row = rows[i].toObject();
                    QStringList problems;
                    for (const auto& e : row.value("errors").toArray())
                      problems << e.toObject().value("field").toString() + " " +
                                      e.toObject().value("reason").toString();
                    const QStringList cells{row.value("where").toString(), row.value("key").toString(),
                                            row.value("action").toString(), problems.join("; ")};
                    for (int c = 0; c < cells.size(); ++c) {
                      auto* item = new QTableWidgetItem(cells[c]);
                      if (!problems.isEmpty()) item->setForeground(QColor(0xb0, 0x00, 0x20));
                      report_->setItem(i, c, item);
                    }
                  }
                  const QJsonObject s = report.value("summary").toObject();
                  summary_->setText(tr("%1 to create, %2 to update, %3 unchanged, %4 with problems")
                                        .arg(s.value("create").toInt())
                                        .arg(s.value("update").toInt())
                                        .arg(s.value("unchanged").toInt())
                                        .arg(s.value("error").toInt()) +
                                    (r.ok() ? QString() : "\n" + r.detail));
                  if (dry_run) {
                    emit reported();
                  } else {
                    emit imported(r.ok());
                  }
                });
}

}  // namespace bk::admin
